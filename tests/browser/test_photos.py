"""A phone's photo on the tablet: downscaled in the browser, uploaded without a reload."""

import io
import re

import pytest
import requests
from django.core.signals import request_started
from PIL import Image
from playwright.sync_api import Page, expect

from kiosk.models import Claim, ClaimAttachment
from kiosk.services.submission import claim_submit
from tests.conftest import attach
from tests.images import image_bytes, phone_photo, signature_png

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_12_megapixel_phone_photo_travels_light_and_upright(
    associate_tablet: Page, tmp_path, live_server, api_to_sandbox, screenshot, request
):
    original = tmp_path / "IMG_0001.jpg"
    original.write_bytes(phone_photo())
    page = associate_tablet
    page.get_by_role("button", name="Start a new claim").click()
    reference = page.get_by_test_id("claim-reference").inner_text()
    page.goto(f"/claims/{reference}/steps/item/")
    page.fill("#id_item_name", "Espresso machine")
    page.fill("#id_item_details", "Leaks water from the base.")
    page.evaluate("window.notReloaded = true")
    # Measured where the bytes arrive: Playwright does not expose a multipart body with a file.
    uploads = []

    def count_upload(sender, environ, **kwargs):
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/photos/"):
            uploads.append(int(environ.get("CONTENT_LENGTH") or 0))

    request_started.connect(count_upload)
    request.addfinalizer(lambda: request_started.disconnect(count_upload))

    page.set_input_files("#id_item_photos", original)

    thumbnail = page.get_by_test_id("attachments-item").locator("img")
    expect(thumbnail).to_have_count(1)
    thumbnail.evaluate("img => img.decode()")
    screenshot(page, "uploaded")
    width, height = thumbnail.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert width < height <= 256  # upright (orientation 6 applied), a thumbnail
    assert len(uploads) == 1 and 50_000 < uploads[0] < 600_000, uploads
    assert original.stat().st_size > 6 * uploads[0]
    assert page.evaluate("window.notReloaded") is True
    expect(page.locator("#id_item_name")).to_have_value("Espresso machine")
    expect(page.locator("#id_item_details")).to_have_value("Leaks water from the base.")

    # Filed, the API's servers fetch an upright JPEG of at most 2048 px with no EXIF.
    claim = Claim.objects.get(reference=reference)
    Claim.objects.filter(pk=claim.pk).update(
        **{f: v for f, v in _complete_fields().items()},
        completed_steps=_all_steps(),
        pending_input={},  # what the page saved as the associate typed
    )
    claim.refresh_from_db()
    attach(claim, ClaimAttachment.Kind.RECEIPT, image_bytes("JPEG"))
    attach(claim, ClaimAttachment.Kind.SIGNATURE, signature_png())
    claim_submit(claim=claim, media_base_url=live_server.url)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.FILED
    url = claim.request_payload["item"]["images"][0]
    assert url in api_to_sandbox.received[-1].fetched_images
    fetched = Image.open(io.BytesIO(requests.get(url, timeout=10).content))
    assert fetched.format == "JPEG"
    assert max(fetched.size) <= 2048 and fetched.width < fetched.height
    assert not fetched.getexif() and "exif" not in fetched.info


def test_a_photo_that_fails_to_upload_is_retried_with_one_tap(
    associate_tablet: Page, tmp_path, screenshot
):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(800, 600)))
    page = associate_tablet
    page.get_by_role("button", name="Start a new claim").click()
    reference = page.get_by_test_id("claim-reference").inner_text()
    page.goto(f"/claims/{reference}/steps/item/")
    page.fill("#id_item_name", "Kettle")
    page.route(re.compile(r"/photos/$"), lambda route: route.abort())

    page.set_input_files("#id_item_photos", photo)

    failed = page.get_by_test_id("attachments-item").locator(".attachment.failed")
    expect(failed).to_contain_text("not saved")
    screenshot(page, "upload-failed")
    page.unroute(re.compile(r"/photos/$"))
    failed.get_by_role("button", name="Try again").click()
    expect(page.get_by_test_id("attachments-item").locator("img")).to_have_count(1)
    page.get_by_test_id("attachments-item").get_by_role("button", name="Remove").click()
    expect(page.get_by_test_id("attachments-item").locator("figure")).to_have_count(0)
    expect(page.locator("#id_item_name")).to_have_value("Kettle")
    assert not Claim.objects.get(reference=reference).attachments.exists()


def test_next_waits_for_a_slow_upload_so_no_photo_is_left_behind(
    associate_tablet: Page, tmp_path, screenshot
):
    photo = tmp_path / "IMG_0003.jpg"
    photo.write_bytes(phone_photo())
    page = associate_tablet
    page.get_by_role("button", name="Start a new claim").click()
    reference = page.get_by_test_id("claim-reference").inner_text()
    page.goto(f"/claims/{reference}/steps/item/")
    page.fill("#id_item_name", "Espresso machine")
    page.fill("#id_item_price", "120")
    page.fill("#id_item_details", "Leaks water from the base.")
    store_wifi = page.context.new_cdp_session(page)
    store_wifi.send("Network.enable")
    store_wifi.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 50, "downloadThroughput": -1, "uploadThroughput": 150_000},
    )

    page.set_input_files("#id_item_photos", photo)
    expect(page.get_by_test_id("attachments-item").locator(".attachment.uploading")).to_have_count(
        1
    )
    page.get_by_test_id("next").click()

    expect(page.get_by_role("status").filter(has_text="Waiting for the photos")).to_be_visible()
    screenshot(page, "waiting-for-upload")
    # Sent once the photo is up: the item is complete, the issue and warranty are not yet.
    expect(page.get_by_test_id("error-summary")).to_contain_text(
        "What kind of problem?", timeout=20_000
    )
    expect(page).to_have_url(re.compile(r"/steps/item/$"))
    claim = Claim.objects.get(reference=reference)
    assert claim.attachments.filter(kind=ClaimAttachment.Kind.ITEM).count() == 1
    assert "item" in claim.completed_steps


def _complete_fields() -> dict:
    from tests.factories import ClaimFactory

    sample = ClaimFactory.build()
    names = [
        "customer_email",
        "item_sku",
        "item_price",
        "date_of_purchase",
        "warranty_period",
        "product_description",
        "ship_first_name",
        "ship_last_name",
        "ship_address1",
        "ship_city",
        "ship_zip",
        "ship_country",
        "ship_state",
        "sales_channel",
        "claim_category",
        "issue_type",
        "resolution",
        "claim_filed_from",
    ]
    return {name: getattr(sample, name) for name in names}


def _all_steps() -> list[str]:
    return ["customer", "item", "warranty", "address", "issue", "signature"]


def test_an_iphone_heic_photo_goes_up_as_it_is_and_the_server_converts_it(
    associate_tablet: Page, tmp_path
):
    heic = tmp_path / "IMG_0002.HEIC"
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), "teal").save(buffer, format="HEIF")
    heic.write_bytes(buffer.getvalue())
    page = associate_tablet
    page.get_by_role("button", name="Start a new claim").click()
    reference = page.get_by_test_id("claim-reference").inner_text()
    page.goto(f"/claims/{reference}/steps/warranty/")

    page.set_input_files("#id_receipt_photos", heic)

    expect(page.get_by_test_id("attachments-receipt").locator("img")).to_have_count(1)
    stored = Claim.objects.get(reference=reference).attachments.get()
    assert stored.content_type == "image/jpeg" and (stored.width, stored.height) == (1600, 1200)


def test_a_slow_upload_shows_its_progress_by_the_button_and_on_the_tile(
    associate_tablet: Page, tmp_path, screenshot
):
    photo = tmp_path / "IMG_0004.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(800, 600)))
    page = associate_tablet
    page.get_by_role("button", name="Start a new claim").click()
    reference = page.get_by_test_id("claim-reference").inner_text()
    page.goto(f"/claims/{reference}/steps/item/")
    page.fill("#id_item_name", "Espresso machine")
    page.fill("#id_item_details", "Leaks water from the base.")
    held = []  # the upload's answer waits until the test lets it through
    page.route(re.compile(r"/photos/$"), lambda route: held.append(route))
    field = page.locator("#div_id_item_photos")
    # Required, and marked so; the browser's "No file chosen" is replaced by what it holds.
    expect(field.locator("label.form-label")).to_contain_text("*")
    expect(page.locator("#id_item_photos")).to_have_attribute("required", "")
    expect(field.locator("[data-photo-pick]")).to_have_text("Add photos")
    expect(field.locator("[data-photo-held]")).to_have_text("No photo yet")

    page.set_input_files("#id_item_photos", photo)
    tile = page.get_by_test_id("attachments-item").locator(".attachment.uploading")
    expect(tile).to_contain_text("Uploading IMG_0004.jpg")
    expect(field.locator("[data-photo-held]")).to_have_text("Uploading 1 photo…")
    page.get_by_test_id("next").click()

    waiting = page.locator(".step-actions [data-upload-wait]")
    expect(waiting).to_have_attribute("role", "status")
    expect(waiting).to_contain_text("Waiting for the photos to finish uploading")
    expect(waiting).to_be_in_viewport()
    expect(page.get_by_test_id("next")).to_have_attribute("aria-disabled", "true")
    folder = screenshot(page, "waiting-for-upload").parent
    page.locator(".step-actions").screenshot(path=folder / "button-area-during-upload.png")
    tile.screenshot(path=folder / "tile-during-upload.png")
    assert len(held) == 1 and page.get_by_test_id("next").is_visible()

    held[0].continue_()

    # Sent once the photo is up: the item is complete, the issue and warranty are not yet.
    expect(page.get_by_test_id("error-summary")).to_be_visible(timeout=20_000)
    assert "item" in Claim.objects.get(reference=reference).completed_steps
    expect(field.locator("[data-photo-held]")).to_have_text("1 photo added")
    expect(field.locator("[data-photo-pick]")).to_have_text("Add more photos")
    expect(page.get_by_text("No file chosen")).to_have_count(0)


def test_an_uploaded_photo_is_announced_beside_its_field(associate_tablet: Page, tmp_path):
    photo = tmp_path / "product.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(600, 600)))
    page = associate_tablet
    page.get_by_role("button", name="Start a new claim").click()
    reference = page.get_by_test_id("claim-reference").inner_text()
    page.goto(f"/claims/{reference}/steps/item/")
    field = page.locator("#div_id_product_image")
    expect(field.locator("[data-photo-pick]")).to_have_text("Add a photo")
    expect(field.locator("label.form-label")).not_to_contain_text("*")  # optional

    page.set_input_files("#id_product_image", photo)

    expect(page.get_by_test_id("attachments-product").locator("img")).to_have_count(1)
    expect(field.locator("[data-photo-held]")).to_have_text("1 photo added")
    expect(field.locator("[data-photo-pick]")).to_have_text("Change photo")
    page.get_by_test_id("attachments-product").get_by_role("button", name="Remove").click()
    expect(field.locator("[data-photo-held]")).to_have_text("No photo yet")
