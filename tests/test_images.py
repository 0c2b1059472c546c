"""Photos as the portal keeps them, and the hostile files it refuses before harm is done."""

import io
import tracemalloc

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageCms, ImageFile, PngImagePlugin

from kiosk.models import ClaimAttachment
from kiosk.services.attachments import signature_decode
from kiosk.services.images import image_normalise, image_probe
from tests.conftest import attach
from tests.images import image_bytes, phone_photo, png_bomb, signature_png

PHOTO = phone_photo()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_phone_photo_is_stored_upright_small_and_without_metadata():
    normalised = image_normalise(data=PHOTO)

    stored = opened(normalised.data)
    assert stored.format == "JPEG" and normalised.content_type == "image/jpeg"
    assert max(stored.size) <= 2048
    assert stored.width < stored.height  # orientation 6 applied: portrait
    red, green, blue = stored.getpixel((stored.width // 2, 5))
    assert red > 200 and blue < 80  # the red band ended on top
    assert not stored.getexif() and "exif" not in stored.info and "icc_profile" not in stored.info
    assert b"PhoneMaker" not in normalised.data and b"GPS" not in normalised.data
    thumbnail = opened(normalised.thumbnail)
    assert max(thumbnail.size) <= 256 and thumbnail.width < thumbnail.height
    assert len(normalised.data) < len(PHOTO) / 3


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_comments_colour_profiles_and_xmp_are_dropped(image_format):
    """Pillow carries a JPEG comment and a PNG's ICC profile into a re-encode unless told not to."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    extra = {"comment": b"owner: someone@example.com"} if image_format == "JPEG" else {}
    Image.new("RGB", (320, 240), "teal").save(
        buffer,
        format=image_format,
        icc_profile=profile,
        xmp=b"<x:xmpmeta>GPS 40.7</x:xmpmeta>",
        **extra,
    )
    original = opened(buffer.getvalue())
    assert original.info.get("icc_profile")  # the test file does carry the profile

    normalised = image_normalise(data=buffer.getvalue())

    stored = opened(normalised.data)
    for key in ("comment", "icc_profile", "xmp", "exif"):
        assert not stored.info.get(key), key
    for leaked in (b"someone@example.com", b"xmpmeta", profile[:64]):
        assert leaked not in normalised.data and leaked not in normalised.thumbnail


def test_an_iphone_heic_photo_is_converted():
    image = Image.new("RGB", (640, 480), "teal")
    buffer = io.BytesIO()
    image.save(buffer, format="HEIF")

    normalised = image_normalise(data=buffer.getvalue())

    assert normalised.content_type == "image/jpeg"
    assert opened(normalised.data).size == (640, 480)


def test_transparency_is_kept_as_png_and_text_chunks_are_dropped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone@example.com")
    buffer = io.BytesIO()
    Image.new("RGBA", (120, 80), (255, 0, 0, 128)).save(buffer, format="PNG", pnginfo=info)

    normalised = image_normalise(data=buffer.getvalue())

    assert normalised.content_type == "image/png"
    assert opened(normalised.data).mode == "RGBA"
    assert b"someone@example.com" not in normalised.data


def test_the_signature_goes_through_the_same_checks():
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "Leaky Pad 1.0")
    drawn = opened(signature_png())
    buffer = io.BytesIO()
    drawn.save(buffer, format="PNG", pnginfo=info)
    import base64

    data_url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()

    image = signature_decode(data_url=data_url)

    assert b"Leaky Pad" not in image.data
    with pytest.raises(ValidationError, match="could not be read"):
        signature_decode(
            data_url="data:image/png;base64," + base64.b64encode(png_bomb(30000)).decode()
        )


def big_png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, format="PNG")
    return buffer.getvalue()


JPEG = image_bytes("JPEG", size=(400, 300))
HOSTILE = {
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "html": b"<!doctype html><html><body><script>alert(1)</script></body></html>",
    "pdf": b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
    "truncated": JPEG[: len(JPEG) // 2],
    "empty": b"",
    "9400x9400": big_png(9400),
    "30000x30000 bomb": png_bomb(30000),
}


# Too many pixels: refused from the header, before any pixel is decoded.
OVERSIZED = {"9400x9400", "30000x30000 bomb"}


@pytest.fixture
def decoded_sizes(monkeypatch) -> list[tuple[int, int]]:
    """The size of every image whose pixels Pillow decodes while the test runs."""
    sizes = []
    load = ImageFile.ImageFile.load

    def counted_load(image):
        sizes.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counted_load)
    return sizes


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_get_a_clear_message_in_bounded_memory(name, decoded_sizes):
    tracemalloc.start()
    with pytest.raises(ValidationError) as refused:
        image_normalise(data=HOSTILE[name])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    if name in OVERSIZED:
        assert decoded_sizes == []
    assert peak < 40 * 2**20
    assert refused.value.messages[0].endswith(".")
    assert "Traceback" not in refused.value.messages[0]


def test_the_pixel_limit_is_read_from_the_header_before_decoding(settings):
    settings.IMAGE_MAX_PIXELS = 1_000_000

    with pytest.raises(ValidationError, match="too large .2000 × 1500.: at most 1 megapixels"):
        image_probe(data=image_bytes("JPEG", size=(2000, 1500)))


def test_a_jpeg_html_polyglot_is_reencoded_so_no_foreign_bytes_survive():
    polyglot = JPEG + b"<html><script>document.location='http://evil.test'</script></html>"

    normalised = image_normalise(data=polyglot)

    assert b"<script" not in normalised.data and b"evil.test" not in normalised.data


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_ten_big_files_in_one_post_end_in_a_field_error_undecoded(
    associate_client, store, decoded_sizes
):
    from tests.test_views import VALID_STEPS, start_claim, step_url

    claim = start_claim(associate_client, store)
    files = [upload(f"huge-{n}.png", HOSTILE["9400x9400"]) for n in range(10)]
    typed = VALID_STEPS["item"] | {"item_photos": files}

    response = associate_client.post(step_url(claim, "item"), typed)

    assert decoded_sizes == []
    assert response.status_code == 200
    assert "at most 40 megapixels" in response.content.decode()
    claim.refresh_from_db()
    assert not claim.attachments.exists()
    assert 'value="Espresso machine"' in response.content.decode()  # nothing typed is lost


def test_too_many_files_in_one_post_is_a_field_error(associate_client, store, settings):
    from tests.test_views import VALID_STEPS, start_claim, step_url

    settings.UPLOAD_MAX_FILES = 2
    claim = start_claim(associate_client, store)
    files = [upload(f"p{n}.jpg", JPEG, "image/jpeg") for n in range(3)]

    response = associate_client.post(
        step_url(claim, "item"), VALID_STEPS["item"] | {"item_photos": files}
    )

    assert "3 photos were sent at once; at most 2" in response.content.decode()


def test_photos_per_claim_are_limited(associate_client, store, settings):
    from tests.test_views import VALID_STEPS, start_claim, step_url

    settings.PHOTOS_PER_CLAIM = 2
    claim = start_claim(associate_client, store)
    first = [upload(f"p{n}.jpg", JPEG, "image/jpeg") for n in range(2)]
    associate_client.post(step_url(claim, "item"), VALID_STEPS["item"] | {"item_photos": first})

    response = associate_client.post(
        step_url(claim, "item"),
        VALID_STEPS["item"] | {"item_photos": [upload("p3.jpg", JPEG, "image/jpeg")]},
    )

    assert "at most 2 photos" in response.content.decode()
    assert claim.attachments.count() == 2


def test_the_background_upload_answers_json(associate_client, store):
    from tests.test_views import start_claim

    claim = start_claim(associate_client, store)
    url = reverse("kiosk:photo-upload", args=[claim.reference])

    good = associate_client.post(
        url, {"kind": "item", "photo": upload("p.jpg", PHOTO, "image/jpeg")}
    )
    bad = associate_client.post(url, {"kind": "item", "photo": upload("x.svg", HOSTILE["svg"])})

    assert good.status_code == 201
    photo = good.json()["photos"][0]
    assert photo["thumbnail"] == reverse("kiosk:photo-thumbnail", args=[photo["id"]])
    assert bad.status_code == 400 and "not a photo the portal can read" in bad.json()["error"]
    removed = associate_client.post(photo["remove"])
    assert removed.json() == {"removed": photo["id"]}
    assert not claim.attachments.exists()


def test_uploads_side_by_side_cannot_pass_the_photos_per_claim_limit(
    associate_client, store, settings, monkeypatch
):
    """Each upload checks the limit alone; the check is made again under the claim's lock."""
    from kiosk.services import drafts
    from tests.test_views import start_claim

    settings.PHOTOS_PER_CLAIM = 1
    claim = start_claim(associate_client, store)
    prepare = drafts.attachment_prepare

    def prepare_while_another_upload_lands(**kwargs):
        if not claim.attachments.exists():
            attach(claim, ClaimAttachment.Kind.ITEM, image_bytes("JPEG"))
        return prepare(**kwargs)

    monkeypatch.setattr(drafts, "attachment_prepare", prepare_while_another_upload_lands)
    url = reverse("kiosk:photo-upload", args=[claim.reference])

    response = associate_client.post(
        url, {"kind": "receipt", "photo": upload("p.jpg", JPEG, "image/jpeg")}
    )

    assert response.status_code == 400 and "at most 1 photos" in response.json()["error"]
    assert claim.attachments.count() == 1


def test_replacing_the_product_image_at_the_limit_is_allowed_on_both_paths(
    associate_client, store, settings
):
    """At PHOTOS_PER_CLAIM, a new product image replaces the old one: the step's form
    refuses it no more than the background upload does."""
    from tests.test_views import VALID_STEPS, start_claim, step_url

    settings.PHOTOS_PER_CLAIM = 2
    claim = start_claim(associate_client, store)
    associate_client.post(
        step_url(claim, "item"),
        VALID_STEPS["item"]
        | {
            "item_photos": [upload("item.jpg", JPEG, "image/jpeg")],
            "product_image": upload("first.jpg", JPEG, "image/jpeg"),
        },
    )
    assert claim.attachments.current().count() == 2  # at the limit

    through_upload = associate_client.post(
        reverse("kiosk:photo-upload", args=[claim.reference]),
        {"kind": "product", "photo": upload("second.jpg", JPEG, "image/jpeg")},
    )
    through_form = associate_client.post(
        step_url(claim, "item"),
        VALID_STEPS["item"] | {"product_image": upload("third.jpg", JPEG, "image/jpeg")},
    )

    assert through_upload.status_code == 201
    assert through_form.status_code == 302 and through_form.url == step_url(claim, "address")
    uploaded = through_upload.json()["photos"][0]["id"]
    products = claim.attachments.current().filter(kind=ClaimAttachment.Kind.PRODUCT)
    assert [p.pk > uploaded for p in products] == [True]  # the form's image replaced it
    assert claim.attachments.current().count() == 2
