"""Photos' perceptual hashes, computed in the background after a claim is submitted.

A 64-bit pHash (imagehash) of each receipt and item photo: alike photos differ in few
bits (kiosk.risk.photos compares them in the database). pHash looks at a 32×32 greyscale
version of the photo, so a stored JPEG is decoded at a reduced scale (Pillow's `draft`,
DCT scaling: 1/2, 1/4 or 1/8) and in greyscale: a 2000 px photo decodes at 250 px, and
two such photos hash in about 24 ms against 133 ms decoded in full (bench/photo_hashes.py).
Stored photos are already upright, metadata-free JPEG or PNG (kiosk.services.images).
"""

import io
import logging

import imagehash
from PIL import Image

from kiosk.models import Claim, ClaimAttachment
from kiosk.risk.distance import signed_64

logger = logging.getLogger(__name__)

HASH_SIZE = 8  # 8×8 bits: one bigint
# pHash shrinks the photo to 32×32 (HASH_SIZE × 4); decoding at no less than four times
# that keeps its resampling the same as from the full photo (the distance between a
# draft-decoded hash and a fully decoded one is measured in tests/test_risk_photos.py).
DRAFT_SIDE = HASH_SIZE * 4 * 4
HASHED_KINDS = (ClaimAttachment.Kind.RECEIPT, ClaimAttachment.Kind.ITEM)


def perceptual_hash(data: bytes, *, draft: bool = True) -> int:
    """The photo's 64-bit pHash as the signed integer the database stores.

    Raises PIL.UnidentifiedImageError or OSError for bytes that are not a readable image.
    `draft=False` decodes the whole photo (only to measure what the draft saves).
    """
    with Image.open(io.BytesIO(data)) as image:
        if draft:
            # Only JPEG decoders can scale; for PNG this does nothing.
            image.draft("L", (DRAFT_SIDE, DRAFT_SIDE))
        greyscale = image.convert("L")
    bits = imagehash.phash(greyscale, hash_size=HASH_SIZE).hash.flatten()
    return signed_64(int("".join("1" if bit else "0" for bit in bits), 2))


def claim_photos_hash(*, claim: Claim) -> int:
    """Hash the claim's current receipt and item photos that have no perceptual hash yet.

    Each file is read through its storage (local or S3). One that cannot be read or
    decoded is logged and skipped: the claim is assessed without it. A photo taken off
    the claim, or purged, while it was being hashed keeps no hash. Returns how many
    photos were hashed.
    """
    pending = claim.attachments.current().filter(
        kind__in=HASHED_KINDS, perceptual_hash__isnull=True
    )
    hashed = 0
    for attachment in pending.exclude(file="").only("pk", "file", "claim_id"):
        try:
            with attachment.file.open("rb") as stored:
                data = stored.read()
            value = perceptual_hash(data)
        except Exception:
            # A storage error (missing file, S3 down) or bytes Pillow cannot decode: either
            # way the claim is still assessed, with what could be hashed.
            logger.warning(
                "Claim %s: photo %s could not be hashed", claim.pk, attachment.pk, exc_info=True
            )
            continue
        hashed += (
            ClaimAttachment.objects.current()
            .filter(pk=attachment.pk, perceptual_hash__isnull=True)
            .exclude(file="")
            .update(perceptual_hash=value)
        )
    return hashed
