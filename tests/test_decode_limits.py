"""Image decodes bounded per process: at most IMAGE_DECODE_CONCURRENCY large ones at once,
a bounded wait for a slot, then "busy, try again" that loses nothing (kiosk.services.images)."""

import io
import threading
import time
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageFile

from kiosk.services.images import image_decode_slot, image_normalise
from tests.images import image_bytes
from tests.test_outbox import outbox, started, tablet  # noqa: F401 (fixtures)
from tests.test_views import VALID_STEPS, start_claim, step_url

LARGE = image_bytes("PNG", size=(400, 300))  # larger than a stored photo under `small_side`


@pytest.fixture
def small_side(settings):
    """Stored photos at most 64 px: the 400×300 test images count as large decodes."""
    settings.IMAGE_MAX_SIDE = 64
    settings.IMAGE_DECODE_CONCURRENCY = 1
    settings.IMAGE_DECODE_WAIT_SECONDS = 0.05
    return settings


@pytest.fixture
def decodes_at_once(monkeypatch) -> dict[str, int]:
    """The most threads decoding an image at the same moment while the test runs; each
    decode lasts a little, so that decodes that may overlap do. (Pillow's load may call
    itself, for a PNG's EXIF: one thread counts once; a load of pixels already decoded
    counts not at all.)"""
    counts = {"most": 0}
    depth: dict[int, int] = {}
    lock = threading.Lock()
    load = ImageFile.ImageFile.load

    def counted_load(image):
        if not image.tile:  # decoded already: load() only hands the pixels back
            return load(image)
        me = threading.get_ident()
        with lock:
            depth[me] = depth.get(me, 0) + 1
            counts["most"] = max(counts["most"], len(depth))
        try:
            time.sleep(0.05)
            return load(image)
        finally:
            with lock:
                depth[me] -= 1
                if not depth[me]:
                    del depth[me]

    monkeypatch.setattr(ImageFile.ImageFile, "load", counted_load)
    return counts


def test_threads_decoding_at_once_never_exceed_the_limit(small_side, decodes_at_once):
    small_side.IMAGE_DECODE_CONCURRENCY = 2
    small_side.IMAGE_DECODE_WAIT_SECONDS = 60  # here every decode waits its turn
    results, start = [], threading.Barrier(8)

    def decode():
        start.wait()
        results.append(image_normalise(data=LARGE))

    threads = [threading.Thread(target=decode) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(results) == 8
    assert decodes_at_once["most"] == 2


def test_decodes_no_larger_than_a_stored_photo_need_no_slot(small_side):
    with image_decode_slot(pixels=10**9):  # the only slot, taken
        normalised = image_normalise(data=image_bytes("PNG", size=(64, 48)))

    assert normalised.width == 64


def test_a_background_upload_that_waits_too_long_is_busy_and_can_be_sent_again(
    associate_client, store, small_side
):
    claim = start_claim(associate_client, store)
    url = reverse("kiosk:photo-upload", args=[claim.reference])
    photo_id = str(uuid.uuid4())

    def send():
        photo = SimpleUploadedFile("p.png", LARGE, "image/png")
        return associate_client.post(url, {"kind": "item", "photo": photo, "photo_id": photo_id})

    with image_decode_slot(pixels=10**9):  # another request decoding a large photo
        busy = send()
    again = send()

    assert busy.status_code == 503 and busy["Retry-After"].isdigit()
    assert busy.json()["busy"] is True
    assert "busy with other photos" in busy.json()["error"]  # not "take the photo again"
    assert again.status_code == 201
    assert claim.attachments.count() == 1


def test_a_busy_outbox_photo_stays_on_the_tablet(outbox, small_side):  # noqa: F811
    """503 makes the tablet's outbox keep the photo and send it later; a 4xx "refused" would
    drop it with a notice to correct it."""
    claim = started(outbox)

    def send():
        photo = SimpleUploadedFile("p.png", LARGE, "image/png")
        return outbox(
            "photo",
            reference=claim.reference,
            photo_kind="item",
            photo_id=str(uuid.UUID(int=7)),
            photo=photo,
        )

    with image_decode_slot(pixels=10**9):
        busy = send()
    again = send()

    assert busy.status_code == 503 and busy.json()["status"] == "busy"
    assert again.json()["status"] == "saved"


def test_a_busy_step_post_keeps_what_was_typed_and_says_to_send_the_photo_again(
    associate_client, store, small_side
):
    claim = start_claim(associate_client, store)
    photo = SimpleUploadedFile("p.png", LARGE, "image/png")

    with image_decode_slot(pixels=10**9):
        response = associate_client.post(
            step_url(claim, "item"), VALID_STEPS["item"] | {"item_photos": [photo]}
        )

    page = response.content.decode()
    assert response.status_code == 200
    assert "busy with other photos" in page
    assert 'value="Espresso machine"' in page


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "GIF", "HEIF"])
def test_every_format_over_the_pixel_cap_is_refused_before_any_pixel_is_decoded(
    image_format, settings, decodes_at_once
):
    settings.IMAGE_MAX_PIXELS = 10_000
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), "teal").save(buffer, format=image_format)

    with pytest.raises(Exception, match="at most 0 megapixels"):
        image_normalise(data=buffer.getvalue())

    assert decodes_at_once["most"] == 0
