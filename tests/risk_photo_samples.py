"""Real photographs (tests/data/photos) and the ways a reused one comes back, for the risk
tests: re-encoded, resized, cropped, rotated; 50 different photos; receipts drawn from
one template and photographed."""

import datetime
import io
import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

PHOTOS = Path(__file__).parent / "data" / "photos"
# Columns × rows of non-overlapping regions cut from each photo: 50 different photos.
REGIONS = {
    "astronaut": (2, 2),
    "brick": (2, 2),
    "camera": (2, 2),
    "cell": (2, 2),
    "chelsea": (2, 1),
    "clock": (2, 2),
    "coffee": (3, 2),
    "grass": (2, 2),
    "gravel": (2, 2),
    "hubble_deep_field": (2, 2),
    "retina": (2, 2),
    "rocket": (3, 2),
}


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def photo(name: str) -> Image.Image:
    with Image.open(PHOTOS / f"{name}.jpg") as opened:
        return opened.convert("RGB")


def photo_names() -> list[str]:
    return sorted(path.stem for path in PHOTOS.glob("*.jpg"))


def _cropped(image: Image.Image, left: float, top: float, right: float, bottom: float):
    w, h = image.size
    return image.crop(
        (round(w * left), round(h * top), round(w * (1 - right)), round(h * (1 - bottom)))
    )


# What a reused photo has been through before it is uploaded again (then the portal
# normalises it, as any upload).
TRANSFORMS: dict[str, Callable[[Image.Image], bytes]] = {
    "re-encoded (JPEG q60)": lambda image: jpeg(image, quality=60),
    "resized to 50%": lambda image: jpeg(
        image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
    ),
    "resized to 200%": lambda image: jpeg(
        image.resize((image.width * 2, image.height * 2), Image.Resampling.BICUBIC)
    ),
    "cropped 5% (2.5% each side)": lambda image: jpeg(_cropped(image, 0.025, 0.025, 0.025, 0.025)),
    "cropped 5% (top-left)": lambda image: jpeg(_cropped(image, 0.05, 0.05, 0, 0)),
    "rotated 3°": lambda image: jpeg(image.rotate(3, Image.Resampling.BICUBIC)),
    "rotated -3°": lambda image: jpeg(image.rotate(-3, Image.Resampling.BICUBIC)),
}


def different_photos() -> dict[str, bytes]:
    """50 photos: non-overlapping regions of the 12 photographs."""
    regions = {}
    for name, (columns, rows) in REGIONS.items():
        image = photo(name)
        w, h = image.size
        for c in range(columns):
            for r in range(rows):
                box = (w * c // columns, h * r // rows, w * (c + 1) // columns, h * (r + 1) // rows)
                regions[f"{name}[{c},{r}]"] = jpeg(image.crop(box))
    return regions


RECEIPT_ITEMS = [
    ("Espresso machine", "249.99"),
    ("Milk frother", "39.50"),
    ("Descaler 2-pack", "12.00"),
    ("Coffee grinder", "89.99"),
    ("Water filter", "8.75"),
    ("Travel mug", "19.95"),
    ("Kettle, steel", "54.00"),
    ("Toaster 4-slot", "64.99"),
    ("Blender", "119.00"),
    ("Scale, kitchen", "24.50"),
]


def receipt(*, seed: int, date: datetime.date) -> tuple[Image.Image, Decimal]:
    """A till receipt printed from the chain's one template: header, item lines, total,
    date; the items and amounts vary with `seed`. Returns it with its total."""
    rng = random.Random(seed)
    font = ImageFont.load_default(size=22)
    small = ImageFont.load_default(size=18)
    lines = rng.sample(RECEIPT_ITEMS, rng.randint(3, 6))
    image = Image.new("L", (420, 760), 250)
    draw = ImageDraw.Draw(image)
    draw.text((210, 40), "CORNER HOME STORE #12", font=font, anchor="mm", fill=20)
    draw.text((210, 72), "120 Main St, Springfield", font=small, anchor="mm", fill=40)
    draw.text((30, 110), f"Date {date:%Y-%m-%d}  Till {rng.randint(1, 9)}", font=small, fill=40)
    draw.text((30, 136), f"Receipt {rng.randint(10000, 99999)}", font=small, fill=40)
    draw.line((30, 170, 390, 170), fill=60, width=2)
    y = 190
    total = Decimal(0)
    for name, price in lines:
        quantity = rng.randint(1, 2)
        amount = Decimal(price) * quantity
        total += amount
        draw.text((30, y), f"{quantity} x {name}", font=small, fill=20)
        draw.text((390, y), f"{amount:.2f}", font=small, anchor="ra", fill=20)
        y += 34
    draw.line((30, 600, 390, 600), fill=60, width=2)
    draw.text((30, 620), "TOTAL", font=font, fill=10)
    draw.text((390, 620), f"{total:.2f}", font=font, anchor="ra", fill=10)
    draw.text((210, 700), "Thank you for shopping with us", font=small, anchor="mm", fill=40)
    return image, total


def photographed(
    receipt_image: Image.Image, *, angle: float = 1.0, shift: tuple[int, int] = (0, 0), seed: int
) -> bytes:
    """The receipt on a counter, photographed: turned by `angle`°, shifted by `shift` px,
    a little blurred, with sensor noise, as a phone's JPEG (noise, blur and quality vary
    with `seed`)."""
    rng = random.Random(seed)
    counter = Image.effect_noise((640, 960), 12).point(lambda v: v // 2 + 60)
    turned = receipt_image.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    outline = Image.new("L", receipt_image.size, 255).rotate(
        angle, Image.Resampling.BICUBIC, expand=True
    )
    offset = ((640 - turned.width) // 2 + shift[0], (960 - turned.height) // 2 + shift[1])
    counter.paste(turned, offset, outline)
    shot = counter.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.0)))
    shot = Image.blend(shot, Image.effect_noise(shot.size, 6), 0.08)
    return jpeg(shot, quality=rng.randint(75, 90))
