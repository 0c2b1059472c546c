import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiosk.models.claim import Claim


def attachment_upload_to(instance: "ClaimAttachment", filename: str) -> str:
    # The stored name never comes from the uploaded file's name.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"claims/{timezone.now():%Y/%m}/{secrets.token_urlsafe(24)}.{extension}"


def thumbnail_upload_to(instance: "ClaimAttachment", filename: str) -> str:
    # Apart from claims/, which alone may be public (what OrderProtection fetches).
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"thumbnails/{timezone.now():%Y/%m}/{secrets.token_urlsafe(24)}.{extension}"


# Multi-index hashing (kiosk.risk.bands): the 64 bits of a perceptual hash (PhotoHash.value)
# in four 16-bit bands, each indexed, so that a search for the hashes within a few bits of one
# looks up the band values near its own instead of computing the distance to every stored hash.
PERCEPTUAL_HASH_BANDS = 4
PERCEPTUAL_HASH_BAND_BITS = 16


def perceptual_hash_band(number: int, field: str = "value") -> models.Expression:
    """The `number`-th 16-bit band of the hash (0 the lowest), 0..65535 on every database.
    `field`: the hash's path from the model queried ("hashes__value" from ClaimAttachment)."""
    mask = (1 << PERCEPTUAL_HASH_BAND_BITS) - 1
    shifted = models.F(field).bitrightshift(number * PERCEPTUAL_HASH_BAND_BITS)
    return shifted.bitand(mask)


class ClaimAttachmentQuerySet(models.QuerySet):
    def current(self) -> "ClaimAttachmentQuerySet":
        """Left out: photos the associate removed (kept only for the audit record)."""
        return self.filter(removed_at__isnull=True)


class ClaimAttachment(models.Model):
    """An image that travels to the API as a URL: signature, receipt, item or product photo."""

    class Kind(models.TextChoices):
        SIGNATURE = "signature", "Signature"
        RECEIPT = "receipt", "Receipt photo"
        ITEM = "item", "Item photo"
        PRODUCT = "product", "Product image"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=16, choices=Kind)
    file = models.FileField(upload_to=attachment_upload_to, max_length=255)
    # About 256 px: what pages show, so that none downloads a photo to draw a thumbnail.
    thumbnail = models.FileField(upload_to=thumbnail_upload_to, max_length=255, blank=True)
    content_type = models.CharField(max_length=50)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when the associate removes a photo that a sent request named: the file stays,
    # so the audit record keeps what OrderProtection was shown.
    removed_at = models.DateTimeField(null=True, blank=True)
    # The id the tablet gave the photo: an upload of it again is the same photo.
    tablet_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # A signature made from the name the customer typed (kiosk.services.attachments),
    # not drawn: the audit record says how the claim was signed.
    typed = models.BooleanField(_("signed by typing the name"), default=False, editable=False)

    objects = ClaimAttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # Exact copies of a photo on other claims are found by SHA-256 (kiosk.risk.photos).
            models.Index(fields=["sha256"], name="attachment_sha256"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.claim}"


class PhotoHash(models.Model):
    """One of a receipt or item photo's perceptual hashes (kiosk.risk.hashes): of the photo as
    taken, or of one of its variants (turned a little, cropped a little), so that a reused
    photo turned or cropped since is still found (kiosk.risk.photos). Written in the background
    after the claim is submitted; deleted with the photo's file."""

    class Variant(models.IntegerChoices):
        AS_TAKEN = 0, "As taken"
        TURNED_3_LEFT = 1, "Turned 3° anticlockwise"
        TURNED_3_RIGHT = 2, "Turned 3° clockwise"
        CROPPED_TOP_LEFT = 3, "Cropped 5% off the top and left"
        CROPPED_TOP_RIGHT = 4, "Cropped 5% off the top and right"
        CROPPED_BOTTOM_LEFT = 5, "Cropped 5% off the bottom and left"
        CROPPED_BOTTOM_RIGHT = 6, "Cropped 5% off the bottom and right"
        CROPPED_ALL_ROUND = 7, "Cropped 2.5% all round"

    attachment = models.ForeignKey(ClaimAttachment, on_delete=models.CASCADE, related_name="hashes")
    variant = models.PositiveSmallIntegerField(choices=Variant)
    # A 64-bit pHash, stored signed as PostgreSQL's bigint is: alike photos differ in few bits.
    value = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attachment", "variant"], name="photohash_unique"),
        ]
        indexes = [
            # Photos alike, by multi-index hashing (kiosk.risk.bands), with the variant after
            # the band so that a search of the as-taken hashes alone reads only theirs. Not
            # partial: PostgreSQL keeps statistics of a whole expression index only, and
            # without them it guesses each band lookup matches 0.5% of rows, and scans them all.
            *(
                models.Index(
                    perceptual_hash_band(number),
                    models.F("variant"),
                    name=f"photohash_band{number}",
                )
                for number in range(PERCEPTUAL_HASH_BANDS)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_variant_display()}: {self.value}"
