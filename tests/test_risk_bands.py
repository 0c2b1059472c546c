"""The band filter in front of photos_alike (multi-index hashing) never loses a near hash."""

import random

import pytest
from django.utils import timezone

from kiosk.models import ClaimAttachment, PhotoHash
from kiosk.risk.bands import band_values_near, near_hash_candidates
from kiosk.risk.distance import hamming, signed_64
from kiosk.risk.photos import photos_alike
from tests.factories import ClaimFactory, hashed_photo

pytestmark = pytest.mark.django_db


def test_band_values_near_are_every_value_within_the_radius():
    values = band_values_near(0b1010, 2)

    assert len(values) == len(set(values)) == 1 + 16 + 120
    assert values[0] == 0b1010
    assert all((value ^ 0b1010).bit_count() <= 2 for value in values)


@pytest.mark.parametrize("max_distance", [0, 3, 10, 15])
def test_photos_alike_finds_every_hash_within_the_distance(max_distance):
    rng = random.Random(max_distance)
    query = signed_64(rng.getrandbits(64))
    claim = ClaimFactory(submitted_at=timezone.now())
    stored = []
    # Near ones (the bits flipped anywhere, the sign bit too) and random ones.
    for flips in list(range(max_distance + 3)) * 3:
        value = query
        for bit in rng.sample(range(64), flips):
            value ^= 1 << bit
        stored.append(signed_64(value))
    stored += [signed_64(rng.getrandbits(64)) for _ in range(30)]
    for value in stored:
        hashed_photo(claim, [value], kind=ClaimAttachment.Kind.RECEIPT)

    found = photos_alike(
        perceptual_hashes=[query],
        kinds=["receipt"],
        max_distance=max_distance,
        exclude_claim_pk=None,
    )

    expected = sorted(hamming(value, query) for value in stored)
    assert [a.distance for a in found] == [d for d in expected if d <= max_distance]


@pytest.mark.parametrize("max_distance", [3, 10])
def test_photos_alike_compares_as_taken_to_variants_both_ways(max_distance):
    """The new photo as taken to any stored hash; any of the new photo's to a stored one as
    taken; never a variant to a variant. Each found at its smallest distance."""
    rng = random.Random(max_distance)
    claim = ClaimFactory(submitted_at=timezone.now())

    def near(value: int, flips: int) -> int:
        for bit in rng.sample(range(64), flips):
            value ^= 1 << bit
        return signed_64(value)

    query = [signed_64(rng.getrandbits(64)) for _ in range(8)]
    far = [signed_64(rng.getrandbits(64)) for _ in range(8)]
    cases = {
        # name: (stored hashes, as taken first; the distance expected or None)
        "as taken to as taken": ([near(query[0], 1), *far[1:]], 1),
        "as taken to a stored variant": ([far[0], *far[1:4], near(query[0], 2), *far[5:]], 2),
        "a new variant to the stored as taken": (
            [near(query[6], max_distance), *far[1:]],
            max_distance,
        ),
        "a variant to a variant": ([far[0], near(query[3], 0), *far[2:]], None),
        "nothing near": (far, None),
    }
    pks = {}
    for name, (hashes, _) in cases.items():
        pks[hashed_photo(claim, hashes).pk] = name

    found = photos_alike(
        perceptual_hashes=query, kinds=["item"], max_distance=max_distance, exclude_claim_pk=None
    )

    assert {pks[a.pk]: a.distance for a in found} == {
        name: distance for name, (_, distance) in cases.items() if distance is not None
    }


def test_a_search_too_wide_for_the_bands_is_not_narrowed():
    everything = PhotoHash.objects.all()

    assert near_hash_candidates(everything, perceptual_hashes=[-1], max_distance=16) is everything
    assert (
        near_hash_candidates(everything, perceptual_hashes=[-1], max_distance=15) is not everything
    )
