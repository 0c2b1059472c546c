"""Photos as the portal keeps them: checked before decoding, upright, small, with no metadata.

A phone's photo arrives as a 12-megapixel JPEG with its GPS position and the
phone's make in it, often sideways (EXIF orientation); an iPhone's as HEIC. The
portal refuses what is too big before decoding it (the declared pixel count, from
the header), then decodes it — JPEGs at a reduced scale with Pillow's `draft`, so
a 12 MP photo is quick — applies the orientation, caps the long side, and
re-encodes it (JPEG, or PNG where there is transparency) without any metadata. The
original is not kept. A small thumbnail is made once, for pages that show photos.
None of this touches the database.

A decode takes memory in proportion to its pixels (Pillow keeps RGB in 4 bytes a pixel:
160 MB for a 40 MP photo) and a core while it runs. So a photo larger than the portal
stores (more than IMAGE_MAX_SIDE squared pixels) is decoded only in one of
IMAGE_DECODE_CONCURRENCY slots per process, waiting at most IMAGE_DECODE_WAIT_SECONDS for
one (ImageDecodeBusy after that). Smaller ones, such as the tablet's photos, which its
script scales down before sending, and signatures, cost a few MB and need no slot.
"""

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps
from pillow_heif import register_heif_opener

from kiosk.services.process_slots import process_slots

register_heif_opener()

# What people photograph with, and what a browser can show.
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "HEIF", "MPO"}
THUMBNAIL_SIDE = 256
JPEG_QUALITY = 85
NOT_A_PHOTO = _(
    "This file is not a photo the portal can read. Use a JPEG, PNG, WebP, GIF or HEIC image."
)


DECODE_BUSY = _(
    "The portal is busy with other photos. Nothing is wrong with this one: "
    "send it again in a moment."
)


class ImageDecodeBusy(Exception):
    """Every decode slot stayed taken for IMAGE_DECODE_WAIT_SECONDS: try again shortly.

    Not the photo's fault: never tell the associate to take it again.
    """

    retry_after_seconds = 2


@dataclass(frozen=True)
class Probe:
    """What an image's header says, read without decoding its pixels."""

    format: str
    width: int
    height: int


@dataclass(frozen=True)
class NormalisedImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    thumbnail: bytes


def image_probe(*, data: bytes) -> Probe:
    """Check size, format and declared pixel count; raise ValidationError with a clear message.

    Only the header is read: a 30000×30000 "bomb" is refused without being decoded.
    """
    if not data:
        raise ValidationError(_("This file is empty. Take the photo again."), code="empty")
    image_check_size(size=len(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                probe = Probe(image.format or "", image.width, image.height)
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except Exception:
        # Pillow raises many kinds of error for a file that is not an image.
        raise ValidationError(NOT_A_PHOTO, code="not_an_image") from None
    if probe.format not in ACCEPTED_FORMATS:
        raise ValidationError(
            _("%(format)s files are not accepted. Use a JPEG, PNG, WebP, GIF or HEIC photo."),
            code="format",
            params={"format": probe.format or _("These")},
        )
    if probe.width * probe.height > settings.IMAGE_MAX_PIXELS:
        raise _too_many_pixels(probe)
    return probe


def image_check_size(*, size: int) -> None:
    """Refuse a file past UPLOAD_MAX_BYTES, before reading it."""
    if size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _(
                "This file is %(size)s MB; the limit is %(limit)s MB. Take the photo again "
                "at a lower resolution."
            ),
            code="too_large",
            params={
                "size": f"{size / 1_000_000:.1f}",
                "limit": f"{settings.UPLOAD_MAX_BYTES / 1_000_000:.0f}",
            },
        )


def image_normalise(*, data: bytes, max_side: int | None = None) -> NormalisedImage:
    """The photo upright, at most `max_side` px (IMAGE_MAX_SIDE), re-encoded, metadata-free.

    Raises ValidationError for anything that is not a readable photo of allowed size,
    and ImageDecodeBusy when a large photo waited too long for a decode slot.
    """
    max_side = max_side or settings.IMAGE_MAX_SIDE
    probe = image_probe(data=data)
    with image_decode_slot(pixels=probe.width * probe.height):
        try:
            with Image.open(io.BytesIO(data)) as opened:
                if opened.format in ("JPEG", "MPO"):
                    # DCT scaling decodes at 1/2, 1/4 or 1/8 while staying at least this
                    # big: asking for half the cap lets a 4000×3000 photo decode at 2000×1500.
                    opened.draft("RGB", (max_side // 2, max_side // 2))
                # In place: no second copy of the decoded pixels (a photo already upright
                # would otherwise be copied whole).
                ImageOps.exif_transpose(opened, in_place=True)
                opened.load()
                image = _flattened(opened)
                image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
        except ValidationError:
            raise
        except Exception:
            raise ValidationError(
                _("This photo is damaged or incomplete. Take it again."), code="unreadable"
            ) from None
    data, content_type, extension = _encoded(image)
    return NormalisedImage(
        data, content_type, extension, image.width, image.height, _encoded(_thumbnail(image))[0]
    )


@contextmanager
def image_decode_slot(*, pixels: int) -> Iterator[None]:
    """Hold one of IMAGE_DECODE_CONCURRENCY decode slots of this process while decoding
    more than IMAGE_MAX_SIDE squared pixels; raise ImageDecodeBusy after waiting
    IMAGE_DECODE_WAIT_SECONDS for one. Smaller decodes, and a limit of 0, need no slot."""
    semaphore = process_slots("image decode", settings.IMAGE_DECODE_CONCURRENCY)
    if semaphore is None or pixels <= settings.IMAGE_MAX_SIDE**2:
        yield
        return
    if not semaphore.acquire(timeout=settings.IMAGE_DECODE_WAIT_SECONDS):
        raise ImageDecodeBusy
    try:
        yield
    finally:
        semaphore.release()


def _thumbnail(image: Image.Image) -> Image.Image:
    """At most THUMBNAIL_SIDE px: box-averaged down by a whole factor first, which is quick,
    to no less than 1.5 times the size, then resampled."""
    factor = max(1, int(max(image.size) / (THUMBNAIL_SIDE * 1.5)))
    thumbnail = image.reduce(factor) if factor > 1 else image.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return thumbnail


def _flattened(image: Image.Image) -> Image.Image:
    """RGB, or RGBA where the image has transparency; the first frame of an animation."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        return image.convert("RGBA")
    return image if image.mode == "RGB" else image.convert("RGB")


def _encoded(image: Image.Image) -> tuple[bytes, str, str]:
    """Fresh bytes with no EXIF, GPS, ICC profile, XMP, comment or text chunks: only the pixels.

    Pillow writes some of what it read (a JPEG's comment, a PNG's profile) back into a
    re-encode from the image's `info`, so that is emptied first.
    """
    image.info = {}
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        # Not `optimize`: 43 ms instead of 19 for a signature (docs/load.md), for 20% fewer bytes.
        image.save(buffer, format="PNG")
        return buffer.getvalue(), "image/png", "png"
    # No `optimize`: a second pass over the image for about 10% fewer bytes.
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue(), "image/jpeg", "jpg"


def _too_many_pixels(probe: Probe | None = None) -> ValidationError:
    size = f" ({probe.width} × {probe.height})" if probe else ""
    return ValidationError(
        _(
            "This image is too large%(size)s: at most %(limit)s megapixels are accepted. "
            "Take the photo again at a lower resolution."
        ),
        code="too_many_pixels",
        params={"size": size, "limit": f"{settings.IMAGE_MAX_PIXELS / 1_000_000:.0f}"},
    )
