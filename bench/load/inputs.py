"""What the virtual tablets send: their photos and the signature, made once and kept.

Each claim gets an item photo and a receipt photo of its own, from a pool: as in a store,
where two customers' photos differ, so that the risk signals (kiosk/risk/) find what they
would find in a chain, not every claim matching every other. Each photo is two regions of
the test photographs (tests/data/photos) side by side, at what the tablet's script uploads
(static/kiosk/photos.js: 2048 px on the long side, JPEG at quality 85) with a camera's
sensor noise. ``--full-size-photos`` sends one 12 MP phone file per kind instead, as a
form posted without script does.
"""

import io
from pathlib import Path

PHOTO_SIZE = (4032, 3024)  # a 12 MP phone camera
# What the tablet's script uploads of it (static/kiosk/photos.js): at most this many pixels
# on the long side, the EXIF orientation applied, JPEG at quality 85.
TABLET_MAX_SIDE, TABLET_QUALITY = 2048, 85
# Photos of each kind: with about 50 claims a minute, each comes back every 2 minutes at
# most with a different photo of the other kind.
POOL_SIZE = 100


def inputs(
    directory: Path, *, full_size_photos: bool = False, pool_size: int = POOL_SIZE
) -> dict[str, Path]:
    """The environment the locustfile reads: the photos' folder (at least ``pool_size``
    photos of each kind) and the signature."""
    directory.mkdir(parents=True, exist_ok=True)
    signature = directory / "signature.png"
    if not signature.exists():
        _signature(signature)
    photos = directory / ("phone" if full_size_photos else "tablet")
    size = 1 if full_size_photos else pool_size
    wanted = [photos / f"{kind}-{n:03d}.jpg" for kind in ("item", "receipt") for n in range(size)]
    if not all(path.exists() for path in wanted):
        photos.mkdir(exist_ok=True)
        if full_size_photos:
            _phone_photos(photos)
        else:
            _tablet_photos(photos, pool_size)
    return {"LOAD_PHOTOS": photos, "LOAD_SIGNATURE": signature}


def _tablet_photos(folder: Path, pool_size: int) -> None:
    from PIL import Image, ImageChops

    from tests.risk_photo_samples import different_photos

    regions = [Image.open(io.BytesIO(data)).convert("RGB") for data in different_photos().values()]
    width, height = TABLET_MAX_SIDE, TABLET_MAX_SIDE * 3 // 4
    noise = Image.effect_noise((width, height), 3).convert("RGB")
    for kind, (step, offset) in {"item": (7, 3), "receipt": (11, 5)}.items():
        for n in range(pool_size):
            left = regions[n % len(regions)]
            right = regions[(n * step + offset) % len(regions)]
            photo = Image.new("RGB", (width, height))
            photo.paste(left.resize((width // 2, height)), (0, 0))
            photo.paste(right.resize((width - width // 2, height)), (width // 2, 0))
            photo = ImageChops.add(photo, noise, offset=-128)
            photo.save(folder / f"{kind}-{n:03d}.jpg", format="JPEG", quality=TABLET_QUALITY)


def _phone_photos(folder: Path) -> None:
    from tests.images import phone_photo

    (folder / "item-000.jpg").write_bytes(phone_photo(size=PHOTO_SIZE, orientation=6))
    (folder / "receipt-000.jpg").write_bytes(phone_photo(size=PHOTO_SIZE, orientation=1))


def _signature(path: Path) -> None:
    """The pad's canvas on an 820 px tablet at 2x: a PNG data URL of a few kB."""
    from PIL import Image, ImageDraw

    signature = Image.new("RGBA", (1480, 400), (0, 0, 0, 0))
    points = [(60 + 45 * i, 200 + (90 if i % 2 else -90) * (i % 5) / 4) for i in range(30)]
    ImageDraw.Draw(signature).line(points, fill="black", width=6, joint="curve")
    signature.save(path, format="PNG")
