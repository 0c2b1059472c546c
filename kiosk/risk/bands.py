"""Multi-index hashing: find the stored hashes within a few bits of one without a full scan.

The hash's 64 bits are cut into bands (ClaimAttachment's PERCEPTUAL_HASH_BANDS, each
indexed). If two hashes differ in at most d bits, then at least one band differs in at most
d // bands bits (were every band to differ in more, the whole would differ in more than d).
So the candidates are the rows with some band among the few values that near the hash's own:
an index lookup per band, after which the exact distance is checked on the candidates alone.
"""

from functools import reduce
from itertools import combinations
from operator import or_

from django.db.models import Q, QuerySet

from kiosk.models.attachment import (
    PERCEPTUAL_HASH_BAND_BITS,
    PERCEPTUAL_HASH_BANDS,
    perceptual_hash_band,
)

# Past this many differing bits per band the candidate values (697 per band at 3 bits, 2,517
# at 4) cost more to look up than a scan of every hash: a wider search scans them all.
MAX_BAND_RADIUS = 3
BAND_MASK = (1 << PERCEPTUAL_HASH_BAND_BITS) - 1


def band_values_near(value: int, radius: int) -> list[int]:
    """Every band value that differs from `value` in at most `radius` bits, `value` first."""
    values = [value]
    for flipped in range(1, radius + 1):
        for bits in combinations(range(PERCEPTUAL_HASH_BAND_BITS), flipped):
            values.append(reduce(lambda acc, bit: acc ^ (1 << bit), bits, value))
    return values


def near_hash_candidates(
    queryset: QuerySet, *, perceptual_hash: int, max_distance: int
) -> QuerySet:
    """`queryset` (of ClaimAttachment) narrowed to rows that may lie within `max_distance`
    bits of the hash: a superset of them, never missing one. The caller still filters on the
    exact distance."""
    radius = max_distance // PERCEPTUAL_HASH_BANDS
    if max_distance < 0 or radius > MAX_BAND_RADIUS:
        return queryset
    aliases = {f"phash_band{n}": perceptual_hash_band(n) for n in range(PERCEPTUAL_HASH_BANDS)}
    near = reduce(
        or_,
        (
            Q(**{f"phash_band{n}__in": band_values_near(_band(perceptual_hash, n), radius)})
            for n in range(PERCEPTUAL_HASH_BANDS)
        ),
    )
    return queryset.alias(**aliases).filter(near)


def _band(perceptual_hash: int, number: int) -> int:
    # Python's >> on a negative int sign-extends as the databases' do; the mask keeps 16 bits.
    return (perceptual_hash >> (number * PERCEPTUAL_HASH_BAND_BITS)) & BAND_MASK
