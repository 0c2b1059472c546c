"""Small real images made in memory, for uploads."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw


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
