"""Photos' perceptual hashes, computed in the background after a claim is submitted.

A 64-bit pHash (imagehash) of each receipt and item photo: alike photos differ in few
bits (kiosk.risk.photos compares them in the database). pHash looks at a 32×32 greyscale
version of the photo, so a stored JPEG is decoded at a reduced scale (Pillow's `draft`,
DCT scaling: 1/2, 1/4 or 1/8) and in greyscale: a 2000 px photo decodes at 250 px, and
two such photos hash in about 24 ms against 133 ms decoded in full (bench/photo_hashes.py).
Stored photos are already upright, metadata-free JPEG or PNG (kiosk.services.images).

pHash moves by up to 26 bits when a photo is cropped by 5% or turned by 3°, as far as two
different photos can be (tests/test_risk_photos.py). So each photo is hashed as taken and
in seven variants (PhotoHash.Variant: turned 3° either way, cropped 5% at each corner,
cropped 2.5% all round), cut from the one decoded image: a photo turned or cropped since
comes within a few bits of one of the other's variants (kiosk.risk.photos compares them
both ways). The variants cost pHash's resize and DCT alone, not another decode.
"""

import io
import logging

import imagehash
from django.db import transaction
from PIL import Image

from kiosk.models import Claim, ClaimAttachment, PhotoHash
from kiosk.risk.distance import signed_64

logger = logging.getLogger(__name__)

HASH_SIZE = 8  # 8×8 bits: one bigint
# pHash shrinks the photo to 32×32 (HASH_SIZE × 4); decoding at no less than four times
# that keeps its resampling the same as from the full photo (the distance between a
# draft-decoded hash and a fully decoded one is measured in tests/test_risk_photos.py).
DRAFT_SIDE = HASH_SIZE * 4 * 4
HASHED_KINDS = (ClaimAttachment.Kind.RECEIPT, ClaimAttachment.Kind.ITEM)
# Each variant: turned by this many degrees (anticlockwise), or cropped by these fractions of
# the width and height off the (left, top, right, bottom). Hashing them is the photo's
# tolerance of a turn or a crop: a photo turned by 3° is near the variant turned by 3°.
_Variant = PhotoHash.Variant
TURNS = {_Variant.TURNED_3_LEFT: 3.0, _Variant.TURNED_3_RIGHT: -3.0}
CROPS = {
    _Variant.CROPPED_TOP_LEFT: (0.05, 0.05, 0, 0),
    _Variant.CROPPED_TOP_RIGHT: (0, 0.05, 0.05, 0),
    _Variant.CROPPED_BOTTOM_LEFT: (0.05, 0, 0, 0.05),
    _Variant.CROPPED_BOTTOM_RIGHT: (0, 0, 0.05, 0.05),
    _Variant.CROPPED_ALL_ROUND: (0.025, 0.025, 0.025, 0.025),
}


def perceptual_hash(data: bytes, *, draft: bool = True) -> int:
    """The photo's 64-bit pHash as taken, as the signed integer the database stores.

    Raises PIL.UnidentifiedImageError or OSError for bytes that are not a readable image.
    `draft=False` decodes the whole photo (only to measure what the draft saves).
    """
    return _phash(_greyscale(data, draft=draft))


def photo_hashes(data: bytes) -> dict[int, int]:
    """The photo's pHash as taken and of each of its variants: {PhotoHash.Variant: value},
    as taken first. Raises as perceptual_hash does."""
    image = _greyscale(data, draft=True)
    hashes = {_Variant.AS_TAKEN: _phash(image)}
    for variant in _Variant:
        if variant in TURNS:
            hashes[variant] = _phash(image.rotate(TURNS[variant], Image.Resampling.BICUBIC))
        elif variant in CROPS:
            left, top, right, bottom = CROPS[variant]
            w, h = image.size
            box = (round(w * left), round(h * top), round(w * (1 - right)), round(h * (1 - bottom)))
            hashes[variant] = _phash(image.crop(box))
    return hashes


def _greyscale(data: bytes, *, draft: bool) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        if draft:
            # Only JPEG decoders can scale; for PNG this does nothing.
            image.draft("L", (DRAFT_SIDE, DRAFT_SIDE))
        return image.convert("L")


def _phash(greyscale: Image.Image) -> int:
    bits = imagehash.phash(greyscale, hash_size=HASH_SIZE).hash.flatten()
    return signed_64(int("".join("1" if bit else "0" for bit in bits), 2))


def claim_photos_hash(*, claim: Claim) -> int:
    """Hash the claim's current receipt and item photos that have no PhotoHash rows yet.

    Each file is read through its storage (local or S3). One that cannot be read or
    decoded is logged and skipped: the claim is assessed without it. A photo taken off
    the claim, or purged, while it was being hashed keeps no hash; a concurrent run's rows
    are kept (the same values). Returns how many photos were hashed.
    """
    pending = claim.attachments.current().filter(kind__in=HASHED_KINDS, hashes__isnull=True)
    rows = []
    for attachment in pending.exclude(file="").only("pk", "file", "claim_id"):
        try:
            with attachment.file.open("rb") as stored:
                data = stored.read()
            values = photo_hashes(data)
        except Exception:
            # A storage error (missing file, S3 down) or bytes Pillow cannot decode: either
            # way the claim is still assessed, with what could be hashed.
            logger.warning(
                "Claim %s: photo %s could not be hashed", claim.pk, attachment.pk, exc_info=True
            )
            continue
        rows += [
            PhotoHash(attachment_id=attachment.pk, variant=variant, value=value)
            for variant, value in values.items()
        ]
    if not rows:
        return 0
    hashed = {row.attachment_id for row in rows}
    with transaction.atomic():
        # Only for photos still there: one purged or taken off meanwhile gets none (the lock
        # holds a purge, which deletes the rows, until they are written).
        still = set(
            ClaimAttachment.objects.current()
            .select_for_update()
            .filter(pk__in=hashed)
            .exclude(file="")
            .values_list("pk", flat=True)
        )
        PhotoHash.objects.bulk_create(
            [row for row in rows if row.attachment_id in still], ignore_conflicts=True
        )
    return len(still)
