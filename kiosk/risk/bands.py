"""Multi-index hashing: find the stored hashes within a few bits of one without a full scan.

The hash's 64 bits are cut into bands (PERCEPTUAL_HASH_BANDS of PhotoHash.value, each
indexed with the variant after it). If two hashes differ in at most d bits, then at least
one band differs in at most d // bands bits (were every band to differ in more, the whole
would differ in more than d). So the candidates are the rows with some band among the few
values that near the hash's own: an index lookup per band, after which the exact distance
is checked on the candidates alone.
"""

from collections.abc import Sequence
from functools import cache, reduce
from itertools import combinations
from operator import or_

from django.db.models import Lookup, Q, QuerySet

from kiosk.models.attachment import (
    PERCEPTUAL_HASH_BAND_BITS,
    PERCEPTUAL_HASH_BANDS,
    perceptual_hash_band,
)

# Past this many differing bits per band the candidate values (697 per band at 3 bits, 2,517
# at 4) cost more to look up than a scan of every hash: a wider search scans them all.
MAX_BAND_RADIUS = 3
BAND_MASK = (1 << PERCEPTUAL_HASH_BAND_BITS) - 1


class AnyOf(Lookup):
    """`lhs IN (values)`, the values one array parameter on PostgreSQL (`= ANY(%s)`): a
    search sends thousands of band values, which Django would otherwise prepare, and the
    driver adapt, one by one. An index on lhs serves it either way."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, values)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*lhs_params, *values)


@cache
def _flips(radius: int) -> tuple[int, ...]:
    """Every mask of at most `radius` bits of a band, 0 first."""
    return tuple(
        reduce(or_, (1 << bit for bit in bits), 0)
        for flipped in range(radius + 1)
        for bits in combinations(range(PERCEPTUAL_HASH_BAND_BITS), flipped)
    )


def band_values_near(value: int, radius: int) -> list[int]:
    """Every band value that differs from `value` in at most `radius` bits, `value` first."""
    return [value ^ flip for flip in _flips(radius)]


def near_hash_candidates(
    queryset: QuerySet, *, perceptual_hashes: Sequence[int], max_distance: int
) -> QuerySet:
    """`queryset` (of PhotoHash) narrowed to rows that may lie within `max_distance` bits of
    any of the hashes: a superset of them, never missing one. The caller still filters on the
    exact distance."""
    lookups = near_band_lookups(perceptual_hashes, max_distance=max_distance)
    return queryset if lookups is None else queryset.filter(reduce(or_, lookups))


def near_band_lookups(
    perceptual_hashes: Sequence[int], *, max_distance: int, field: str = "value"
) -> list[Q] | None:
    """Per band, one lookup (of PhotoHash, or of `field`'s path to its value) of the values
    near any of the hashes': a row may lie within `max_distance` bits of one of them only if
    it matches one of the lookups, each an index scan. None when the search is too wide for
    the bands (every row a candidate)."""
    radius = max_distance // PERCEPTUAL_HASH_BANDS
    if max_distance < 0 or radius > MAX_BAND_RADIUS:
        return None
    lookups = []
    for n in range(PERCEPTUAL_HASH_BANDS):
        values = {
            near
            for value in perceptual_hashes
            for near in band_values_near(_band(value, n), radius)
        }
        lookups.append(Q(AnyOf(perceptual_hash_band(n, field), sorted(values))))
    return lookups


def _band(perceptual_hash: int, number: int) -> int:
    # Python's >> on a negative int sign-extends as the databases' do; the mask keeps 16 bits.
    return (perceptual_hash >> (number * PERCEPTUAL_HASH_BAND_BITS)) & BAND_MASK
