"""Photos and signatures on a claim: stored normalised under random names, served as URLs.

Decoding and re-encoding (kiosk.services.images) happens before any database
work; storing a photo writes the files first, then one short row insert.
"""

import base64
import binascii
import hashlib
import io
import time
from pathlib import Path
from urllib.parse import urlencode, urljoin

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageDraw, ImageFont

from kiosk.models import Claim, ClaimAttachment
from kiosk.services.images import DECODE_BUSY, ImageDecodeBusy, NormalisedImage, image_normalise
from kiosk.services.stored_files import stored_file_sent, stored_files_delete_on_commit

SIGNATURE_DATA_URL_PREFIX = "data:image/png;base64,"
MEDIA_SIGNING_SALT = "kiosk.public-media"
UNREADABLE_SIGNATURE = _("The signature could not be read. Please sign again.")


def attachment_store(*, claim: Claim, kind: str, data: bytes) -> ClaimAttachment:
    """Normalise image bytes and store them on the claim; ValidationError if not a photo."""
    attachment = attachment_prepare(claim=claim, kind=kind, image=image_normalise(data=data))
    attachment_record(attachment=attachment)
    return attachment


def attachment_prepare(*, claim: Claim, kind: str, image: NormalisedImage) -> ClaimAttachment:
    """Write a normalised image and its thumbnail to storage; the row is not saved yet.

    Storage may be slow (S3): this runs outside any database transaction, and
    `attachment_record` then inserts the row. Files whose row is never recorded, or
    rolled back, are deleted by `orphan_files_purge` once nothing can record them.
    """
    attachment = ClaimAttachment(
        claim=claim,
        kind=kind,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        size=len(image.data),
        sha256=hashlib.sha256(image.data).hexdigest(),
    )
    attachment.file.save(f"upload.{image.extension}", ContentFile(image.data), save=False)
    attachment.thumbnail.save(f"thumb.{image.extension}", ContentFile(image.thumbnail), save=False)
    return attachment


def attachment_record(*, attachment: ClaimAttachment) -> None:
    attachment.save()


def attachment_discard(*, attachment: ClaimAttachment) -> None:
    """Delete an attachment's files (the photo and its thumbnail); its row is the caller's.

    The files go once the open transaction commits, and only if nothing names them
    then (kiosk.services.stored_files): never those of a row that is still there, nor
    those a claim's queued or sent body names.
    """
    stored_files_delete_on_commit(
        names=[attachment.file.name, attachment.thumbnail.name], claim_pk=attachment.claim_id
    )


def signature_decode(*, data_url: str) -> NormalisedImage:
    """Decode the PNG drawn on the signature pad, normalised; a blank canvas is refused."""
    if not data_url.startswith(SIGNATURE_DATA_URL_PREFIX):
        raise ValidationError(UNREADABLE_SIGNATURE, code="format")
    try:
        data = base64.b64decode(data_url.removeprefix(SIGNATURE_DATA_URL_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(UNREADABLE_SIGNATURE, code="format") from None
    try:
        image = image_normalise(data=data)
    except ValidationError as error:
        raise ValidationError(UNREADABLE_SIGNATURE, code="format") from error
    except ImageDecodeBusy:
        # Only a signature far larger than the pad draws waits for a slot.
        raise ValidationError(DECODE_BUSY, code="busy") from None
    if image.content_type != "image/png" or _is_blank(image.data):
        raise ValidationError(_("The customer has not signed yet."), code="blank")
    return image


# The typed signature's font ships with the portal, so that no server needs one installed:
# Pillow's own (load_default) has no accented letters, not even the é of José.
TYPED_SIGNATURE_FONT = Path(__file__).resolve().parent.parent / "fonts" / "DejaVuSerif-Italic.ttf"
TYPED_SIGNATURE_FONT_PX = 64
TYPED_SIGNATURE_PADDING_PX = 24
TYPED_SIGNATURE_INK = (17, 17, 17, 255)  # near-black, as the pad draws
TYPED_NAME_MAX_CHARS = 100


def signature_from_typed_name(*, name: str) -> NormalisedImage:
    """The signature image of a name the customer typed: the name in dark ink on a
    transparent PNG, normalised like a drawn signature (no metadata).

    ValidationError for an empty name, or one with letters the font cannot show (it
    covers the Latin, Greek and Cyrillic alphabets; another script would come out as
    empty boxes).
    """
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("Type the customer's full name."), code="blank")
    font = ImageFont.truetype(TYPED_SIGNATURE_FONT, TYPED_SIGNATURE_FONT_PX)
    missing = _letters_not_in_font(font, name)
    if missing:
        raise ValidationError(
            _(
                "The signature cannot show these letters: %(letters)s. "
                "Ask the customer to sign in the box instead."
            ),
            code="letters",
            params={"letters": " ".join(missing)},
        )
    left, top, right, bottom = font.getbbox(name)
    padding = TYPED_SIGNATURE_PADDING_PX
    image = Image.new("RGBA", (right - left + 2 * padding, bottom - top + 2 * padding))
    ImageDraw.Draw(image).text(
        (padding - left, padding - top), name, font=font, fill=TYPED_SIGNATURE_INK
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return image_normalise(data=buffer.getvalue())


def _letters_not_in_font(font: ImageFont.FreeTypeFont, text: str) -> list[str]:
    """The characters of `text` that the font draws as its "missing glyph" box."""

    def drawn(char: str) -> bytes:
        glyph = Image.new("L", (2 * TYPED_SIGNATURE_FONT_PX, 2 * TYPED_SIGNATURE_FONT_PX))
        ImageDraw.Draw(glyph).text((0, 0), char, font=font, fill=255)
        return glyph.tobytes()

    missing_glyph = drawn("\U0010ffff")
    letters = dict.fromkeys(char for char in text if not char.isspace())
    return [char for char in letters if drawn(char) == missing_glyph]


def _is_blank(png: bytes) -> bool:
    with Image.open(io.BytesIO(png)) as drawn:
        return drawn.getchannel("A").getbbox() is None


def signatures_replace(*, claim: Claim, new: ClaimAttachment | None) -> None:
    """Take the claim's current signature off (if any) and record the new one (if any)."""
    for old in claim.attachments.current().filter(kind=ClaimAttachment.Kind.SIGNATURE):
        attachment_delete(attachment=old)
    if new is not None:
        attachment_record(attachment=new)


def attachment_delete(*, attachment: ClaimAttachment) -> None:
    """Take a photo off its claim. One a sent request named stays, for the audit record."""
    if attachment_was_sent(attachment=attachment):
        attachment.removed_at = timezone.now()
        attachment.save(update_fields=["removed_at"])
        return
    with transaction.atomic():
        attachment.delete()
        attachment_discard(attachment=attachment)


def attachment_was_sent(*, attachment: ClaimAttachment) -> bool:
    """Whether the body queued for the claim, or any attempt's body, names this file.

    Read from the database, not from the claim the caller holds, which may be older.
    """
    return stored_file_sent(name=attachment.file.name, claim_pk=attachment.claim_id)


def public_media_base_url() -> str:
    """Where OrderProtection fetches files kept on this server: PUBLIC_MEDIA_BASE_URL, never
    a request's Host. Files in S3 have absolute URLs of their own and need none.

    `make run` sets it to its own address; a deployment with local files must set it
    (check kiosk.E001).
    """
    return settings.PUBLIC_MEDIA_BASE_URL


def attachment_public_url(*, attachment: ClaimAttachment, media_base_url: str) -> str:
    """The absolute URL from which the API's servers fetch this file.

    Unguessable either way; with MEDIA_SIGNED_URLS it also expires after
    MEDIA_SIGNED_URL_MAX_AGE seconds (a presigned URL on S3).
    """
    url = default_storage.url(attachment.file.name)
    if settings.MEDIA_SIGNED_URLS and not url.startswith(("http://", "https://")):
        url = f"{url}?{_signed_query(attachment.file.name)}"
    if url.startswith(("http://", "https://")):
        return url
    if not media_base_url:
        raise ImproperlyConfigured("PUBLIC_MEDIA_BASE_URL is not set.")
    return urljoin(media_base_url.rstrip("/") + "/", url.lstrip("/"))


def attachment_staff_url(*, attachment: ClaimAttachment, thumbnail: bool = False) -> str:
    """The URL staff pages show: through the view that checks the login and the store."""
    name = "kiosk:photo-thumbnail" if thumbnail else "kiosk:photo"
    return reverse(name, args=[attachment.pk])


def media_signature_valid(*, name: str, expires: str, signature: str) -> bool:
    """Whether a signed public URL for `name` is genuine and not expired."""
    try:
        expires_at = int(expires)
    except (TypeError, ValueError):
        return False
    if expires_at < time.time():
        return False
    expected = signing.Signer(salt=MEDIA_SIGNING_SALT).signature(f"{name}:{expires_at}")
    return constant_time_compare(expected, signature or "")


def _signed_query(name: str) -> str:
    expires = int(time.time()) + settings.MEDIA_SIGNED_URL_MAX_AGE
    signature = signing.Signer(salt=MEDIA_SIGNING_SALT).signature(f"{name}:{expires}")
    return urlencode({"expires": expires, "signature": signature})
