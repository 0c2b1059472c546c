"""Photos and signatures: checked by decoding, stored under random names, served as URLs."""

import base64
import binascii
import hashlib
import io
import json
import warnings
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from PIL import Image

from kiosk.models import Claim, ClaimAttachment

# Formats a browser can show and the API's servers can be expected to read.
ACCEPTED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}
SIGNATURE_DATA_URL_PREFIX = "data:image/png;base64,"


@dataclass(frozen=True)
class InspectedImage:
    content_type: str
    extension: str
    width: int
    height: int


def image_inspect(*, data: bytes) -> InspectedImage:
    """Decode the bytes with Pillow; raise ValidationError unless they are an accepted image."""
    if len(data) > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            "This file is %(size)s MB; the limit is %(limit)s MB. Take the photo again "
            "at a lower resolution.",
            code="too_large",
            params={
                "size": f"{len(data) / 1_000_000:.1f}",
                "limit": f"{settings.UPLOAD_MAX_BYTES / 1_000_000:.0f}",
            },
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format, width, height = image.format, image.width, image.height
                image.load()
    except Exception:
        # Pillow raises many kinds of error for a file that is not an image.
        raise ValidationError(
            "This file is not a photo the portal can read. Use a JPEG, PNG, WebP or GIF image.",
            code="not_an_image",
        ) from None
    if image_format not in ACCEPTED_FORMATS:
        raise ValidationError(
            "%(format)s images are not accepted. Use a JPEG, PNG, WebP or GIF image.",
            code="format",
            params={"format": image_format},
        )
    content_type, extension = ACCEPTED_FORMATS[image_format]
    return InspectedImage(content_type, extension, width, height)


def attachment_create(*, claim: Claim, kind: str, upload: UploadedFile) -> ClaimAttachment:
    """Check an uploaded file is an image and store it on the claim."""
    return attachment_store(claim=claim, kind=kind, data=b"".join(upload.chunks()))


def attachment_store(*, claim: Claim, kind: str, data: bytes) -> ClaimAttachment:
    """Store image bytes on the claim under a random name; ValidationError if not an image."""
    inspected = image_inspect(data=data)
    attachment = ClaimAttachment(
        claim=claim,
        kind=kind,
        content_type=inspected.content_type,
        width=inspected.width,
        height=inspected.height,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    attachment.file.save(f"upload.{inspected.extension}", ContentFile(data), save=False)
    attachment.save()
    return attachment


def signature_decode(*, data_url: str) -> bytes:
    """Decode the PNG data URL drawn on the signature pad; a blank canvas is refused."""
    if not data_url.startswith(SIGNATURE_DATA_URL_PREFIX):
        raise ValidationError("The signature could not be read. Please sign again.", code="format")
    try:
        data = base64.b64decode(data_url.removeprefix(SIGNATURE_DATA_URL_PREFIX), validate=True)
    except binascii.Error:
        raise ValidationError(
            "The signature could not be read. Please sign again.", code="format"
        ) from None
    if image_inspect(data=data).content_type != "image/png":
        raise ValidationError("The signature could not be read. Please sign again.", code="format")
    with Image.open(io.BytesIO(data)) as image:
        if image.convert("RGBA").getchannel("A").getbbox() is None:
            raise ValidationError("The customer has not signed yet.", code="blank")
    return data


def signature_store(*, claim: Claim, data: bytes) -> ClaimAttachment:
    """Replace the claim's signature with this PNG (from signature_decode)."""
    for old in claim.attachments.current().filter(kind=ClaimAttachment.Kind.SIGNATURE):
        attachment_delete(attachment=old)
    return attachment_store(claim=claim, kind=ClaimAttachment.Kind.SIGNATURE, data=data)


def attachment_delete(*, attachment: ClaimAttachment) -> None:
    """Take a photo off its claim. One a sent request named stays, for the audit record."""
    if attachment_was_sent(attachment=attachment):
        attachment.removed_at = timezone.now()
        attachment.save(update_fields=["removed_at"])
        return
    attachment.file.delete(save=False)
    attachment.delete()


def attachment_was_sent(*, attachment: ClaimAttachment) -> bool:
    """Whether the body queued for the claim, or any attempt's body, names this file."""
    name = attachment.file.name.rsplit("/", 1)[-1]
    bodies = [attachment.claim.request_payload]
    bodies += list(attachment.claim.attempts.values_list("request_body", flat=True))
    return any(body and name in json.dumps(body) for body in bodies)


def attachment_public_url(*, attachment: ClaimAttachment, media_base_url: str) -> str:
    """The absolute URL from which the API's servers fetch this file."""
    url = attachment.file.url
    if url.startswith(("http://", "https://")):
        return url
    return urljoin(media_base_url.rstrip("/") + "/", url.lstrip("/"))
