"""Small real images made in memory, for uploads."""

import functools
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageChops, ImageDraw


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), color: str = "navy") -> bytes:
    image = Image.new("RGB", size, color)
    ImageDraw.Draw(image).line((0, 0, *size), fill="white", width=3)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def uploaded_image(name: str = "photo.jpg", fmt: str = "JPEG", color: str = "navy"):
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png"}.get(fmt, "application/octet-stream")
    return SimpleUploadedFile(name, image_bytes(fmt, color=color), content_type=content_type)


def signature_png(*, blank: bool = False) -> bytes:
    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(image).line((20, 90, 120, 30, 200, 80, 280, 20), fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def signature_data_url(*, blank: bool = False) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(signature_png(blank=blank)).decode()


@functools.cache
def phone_photo(*, size: tuple[int, int] = (4000, 3000), orientation: int = 6) -> bytes:
    """A JPEG as a phone makes it: 12 MP, about 3 MB, sensor noise, EXIF orientation, GPS
    position, make and model.

    Stored sideways with orientation 6: upright, it is portrait. The top band is red
    so that a test can tell which way up it ended.
    """
    image = Image.new("RGB", size, "navy")
    draw = ImageDraw.Draw(image)
    # Orientation 6 means: rotate 90° clockwise to view. The side that ends on top is
    # the stored image's left edge.
    draw.rectangle((0, 0, size[0] // 10, size[1]), fill="red")
    for x in range(0, size[0], 160):
        draw.line((x, 0, x + size[1], size[1]), fill=(x % 255, 180, 90), width=9)
    # A camera's sensor noise: what makes a real 12 MP photo weigh 3 MB at quality 95.
    noise = Image.effect_noise(size, 3).convert("RGB")
    image = ImageChops.add(image, noise, offset=-128)
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15 Pro"  # Model
    gps = {1: "N", 2: (40.0, 42.0, 46.0), 3: "W", 4: (74.0, 0.0, 21.0)}
    exif[0x8825] = gps  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def png_bomb(side: int) -> bytes:
    """A tiny PNG whose header claims side × side pixels (it does not decode)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    row = b"\0" + b"\0" * 3 * 16
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * 16))
        + chunk(b"IEND", b"")
    )
