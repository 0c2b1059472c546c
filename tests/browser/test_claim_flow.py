"""An associate files a claim on the store tablet, in a real Chromium, against the sandbox."""

import datetime
import hashlib
import io
import json
import re
import time

import pytest
import requests
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from kiosk.models import Claim, ClaimAttachment
from kiosk.steps import FormStep
from tests.browser.conftest import Photos, sign
from tests.factories import ClaimFactory

CLAIM_NUMBER = re.compile(r"^SB-\d{4}-\d{4}$")
CLAIMS_PATH = "/v1/claims/offline"
TOP_LEVEL_KEYS = {
    "customer",
    "item",
    "warranty",
    "shippingAddress",
    "storeId",
    "signature",
    "salesChannel",
    "claimCategory",
    "issueType",
    "resolution",
    "claimFiledFrom",
    "options",
}


def field_error(page: Page, name: str) -> Locator:
    """The message crispy-forms shows under a field."""
    return page.locator(f"#div_id_{name} .invalid-feedback")


def expect_images_loaded(images: Locator, count: int) -> None:
    expect(images).to_have_count(count)
    for index in range(count):
        image = images.nth(index)
        expect(image).to_be_visible()
        image.scroll_into_view_if_needed()
        loaded = image.evaluate("img => img.decode().then(() => img.naturalWidth > 0, () => false)")
        assert loaded, f"image {image.get_attribute('src')} did not load"


def next_step(page: Page, slug: str) -> None:
    page.get_by_test_id("next").click()
    expect(page).to_have_url(re.compile(rf"/steps/{slug}/$"))
    # The URL changes when the page starts to arrive; what is typed before its scripts
    # run (the background save's listeners among them) would not be saved as typed.
    page.wait_for_load_state()


def start_claim(page: Page) -> str:
    """From the home page, start a claim; returns its reference."""
    page.get_by_role("button", name="Start a new claim").click()
    expect(page).to_have_url(re.compile(r"/steps/customer/$"))
    page.wait_for_load_state()
    return page.get_by_test_id("claim-reference").inner_text()


@pytest.mark.django_db(transaction=True)
def test_associate_files_claim_end_to_end_on_tablet(
    api_to_sandbox, associate_tablet: Page, photos: Photos, screenshot, live_server
):
    page = associate_tablet
    sandbox = api_to_sandbox
    # api_to_sandbox is set up before the login renders this page.
    expect(page.get_by_test_id("sandbox-banner")).to_contain_text(sandbox.url)
    screenshot(page, "home")
    start_claim(page)

    # Customer: a phone number that cannot be right, then the right one.
    screenshot(page, "customer-empty")
    page.fill("#id_ship_first_name", "Jane")
    page.fill("#id_ship_last_name", "Doe")
    page.fill("#id_customer_email", "jane.doe@example.com")
    page.fill("#id_customer_phone", "12345")
    page.get_by_test_id("next").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Phone number")
    expect(page).to_have_url(re.compile(r"/steps/customer/$"))
    expect(page.locator("#id_customer_phone")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(field_error(page, "customer_phone")).to_contain_text("not a valid phone number")
    expect(page.locator("#id_customer_email")).to_have_value("jane.doe@example.com")
    expect(page.locator("#id_customer_phone")).to_have_value("12345")
    screenshot(page, "customer-invalid-phone")
    page.fill("#id_customer_phone", "(212) 555-0100")
    next_step(page, "item")

    # Item, with a photo.
    page.fill("#id_item_name", "Espresso machine")
    page.fill("#id_item_sku", "SKU-12345")
    page.fill("#id_item_price", "249.99")
    page.fill("#id_item_details", "Leaks water from the base after two weeks.")
    # Picking a photo uploads it in the background; the page stays as it is.
    page.set_input_files("#id_item_photos", photos.item)
    expect_images_loaded(page.get_by_test_id("attachments-item").locator("img"), 1)
    expect(page.locator("#id_item_details")).to_have_value(
        "Leaks water from the base after two weeks."
    )
    expect(page.get_by_test_id("error-summary")).to_have_count(0)
    screenshot(page, "item")

    # Issue and resolution, on the item's page: tiles.
    page.click("label[for=id_issue_type_0]")
    page.click("label[for=id_resolution_1]")
    expect(page.locator("#id_issue_type_0")).to_be_checked()
    expect(page.locator("#id_resolution_1")).to_be_checked()
    screenshot(page, "issue")

    # Warranty, on the item's page too: a text file named like a photo next to a real
    # receipt photo.
    purchased = datetime.date.today() - datetime.timedelta(days=40)
    page.fill("#id_date_of_purchase", f"{purchased:%Y-%m-%d}")
    page.fill("#id_product_description", "Used daily, no visible damage.")
    page.set_input_files("#id_receipt_photos", [photos.not_an_image, photos.receipt])
    failed = page.get_by_test_id("attachments-receipt").locator(".attachment.failed")
    expect(failed).to_contain_text("receipt.jpg: This file is not a photo")
    expect(failed.get_by_role("button", name="Try again")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/steps/item/$"))
    expect(page.locator("#id_date_of_purchase")).to_have_value(f"{purchased:%Y-%m-%d}")
    expect(page.locator("#id_product_description")).to_have_value("Used daily, no visible damage.")
    expect(page.locator("#id_warranty_period_choice")).to_have_value("P1Y")
    expect_images_loaded(page.get_by_test_id("attachments-receipt").locator("img"), 1)
    screenshot(page, "warranty-not-an-image")
    next_step(page, "address")

    # Shipping address: the customer's name is there already; switching country refills
    # the states.
    expect(page.locator("#id_ship_first_name")).to_have_value("Jane")
    expect(page.locator("#id_ship_last_name")).to_have_value("Doe")
    page.fill("#id_ship_address1", "123 Main St")
    page.fill("#id_ship_city", "New York")
    page.fill("#id_ship_zip", "10001")
    expect(page.locator("#id_ship_country")).to_have_value("US")
    page.select_option("#id_ship_country", "CA")
    expect(page.locator("#id_ship_state option[value='CA-ON']")).to_have_count(1)
    page.select_option("#id_ship_country", "US")
    expect(page.locator("#id_ship_state option[value='US-NY']")).to_have_count(1)
    page.select_option("#id_ship_state", "US-NY")
    screenshot(page, "address")
    next_step(page, "review")

    # Review: what will be sent, with the photos; the customer signs under it.
    review = page.get_by_test_id("review")
    for text in (
        "jane.doe@example.com",
        "+12125550100",
        "Espresso machine",
        "SKU-12345",
        "249.99",
        "Leaks water from the base after two weeks.",
        f"{purchased:%B %-d, %Y}",
        "1 year",
        "123 Main St",
        "New York",
        "United States",
        "Jane Doe",
        "Defective item",
        "Replacement shipped",
    ):
        expect(review).to_contain_text(text)
    expect_images_loaded(review.locator("img[alt^='Item photos']"), 1)
    expect_images_loaded(review.locator("img[alt^='Receipt photos']"), 1)
    expect(page.get_by_test_id("incomplete-steps")).to_have_count(0)
    # People's words, not the API's keys; the exact request is one tap away for support.
    expect(review).not_to_contain_text("requireCustomerSignature")
    expect(review).not_to_contain_text("sourceProductId")
    expect(review).not_to_contain_text("P1Y")
    page.get_by_text("Show the exact request").click()
    expect(page.get_by_test_id("exact-request")).to_contain_text('"storeId": "store_123"')
    expect(page.get_by_test_id("exact-request")).to_contain_text('"requireCustomerSignature"')
    # Signature, drawn with the mouse.
    sign(page)
    screenshot(page, "review-signed")

    page.get_by_test_id("submit-claim").click()
    expect(page).to_have_url(re.compile(r"/result/$"))
    expect(page.get_by_test_id("claim-result")).to_have_attribute("data-status", "filed")
    claim_number = page.get_by_test_id("claim-number").inner_text().strip()
    assert CLAIM_NUMBER.match(claim_number), claim_number
    screenshot(page, "result")

    # What the sandbox received, and the images it fetched.
    claims = [r for r in sandbox.received if r.path.startswith(CLAIMS_PATH)]
    assert len(claims) == 1
    received = claims[0]
    assert received.response_status == 201
    assert received.response_body["payload"]["sourceOrderId"] == claim_number
    headers = {name.lower(): value for name, value in received.headers.items()}
    assert headers["authorization"] == "Bearer sandbox-token"
    body = received.body_json
    assert body.keys() >= TOP_LEVEL_KEYS, TOP_LEVEL_KEYS - body.keys()
    assert body["customer"] == {"email": "jane.doe@example.com", "phoneNumber": "+12125550100"}
    assert body["item"]["name"] == "Espresso machine"
    assert body["storeId"] == "store_123"
    assert body["shippingAddress"]["stateAbr"] == "NY"
    assert (body["issueType"], body["resolution"]) == ("DEFECTIVE_ITEM", "RESHIP")

    item_urls, receipt_urls = body["item"]["images"], body["warranty"]["receiptImages"]
    assert len(item_urls) == 1 and len(receipt_urls) == 1
    for url in (*item_urls, *receipt_urls, body["signature"]):
        assert url.startswith(live_server.url + "/media/"), url
    # What was fetched is what the portal stored: the photos normalised, not the originals.
    stored = {a.kind: a.sha256 for a in ClaimAttachment.objects.all()}
    assert received.fetched_images[item_urls[0]] == stored["item"]
    assert received.fetched_images[receipt_urls[0]] == stored["receipt"]
    assert stored["item"] != photos.sha256(photos.item)

    response = requests.get(body["signature"], timeout=5)
    assert response.status_code == 200
    assert (
        received.fetched_images[body["signature"]] == hashlib.sha256(response.content).hexdigest()
    )
    with Image.open(io.BytesIO(response.content)) as signature:
        assert signature.format == "PNG"
        assert signature.convert("RGBA").getchannel("A").getbbox() is not None


@pytest.mark.django_db(transaction=True)
def test_reloading_a_step_resumes_the_draft(associate_tablet: Page, photos: Photos, screenshot):
    page = associate_tablet
    reference = start_claim(page)
    page.fill("#id_ship_first_name", "Sam")
    page.fill("#id_ship_last_name", "Park")
    page.fill("#id_customer_email", "sam@example.com")
    page.fill("#id_customer_phone", "212 555 0100")
    next_step(page, "item")

    page.fill("#id_item_name", "Stand mixer")
    page.fill("#id_item_details", "The bowl lock is broken.")
    page.set_input_files("#id_item_photos", photos.item)
    expect_images_loaded(page.get_by_test_id("attachments-item").locator("img"), 1)

    # Reloaded once the background save has reached the server: saved on the claim, or
    # kept on the draft when it came before the photo (the item step is not complete yet).
    def reached_the_server() -> bool:
        claim = Claim.objects.get(reference=reference)
        return "Stand mixer" in json.dumps([claim.item_name, claim.pending_input])

    deadline = time.monotonic() + 30  # a loaded machine (make test runs four passes at once)
    while not reached_the_server():
        assert time.monotonic() < deadline, "the item's name was not saved in the background"
        time.sleep(0.2)
    page.reload()
    expect(page).to_have_url(re.compile(r"/steps/item/$"))
    expect(page.get_by_test_id("claim-reference")).to_have_text(reference)
    expect(page.locator("#id_item_name")).to_have_value("Stand mixer")
    screenshot(page, "item-page-reloaded")

    # Typed in the item page's warranty section, then left it for the home page.
    page.fill("#id_product_description", "Bought as a gift.")
    page.locator("button[name=goto][value=customer]").click()
    expect(page).to_have_url(re.compile(r"/steps/customer/$"))
    page.get_by_role("link", name="Store Claims").click()
    expect(page.get_by_role("heading", name="Your claims to finish")).to_be_visible()
    draft = page.get_by_test_id("open-claim").get_by_role("link", name=re.compile("Stand mixer"))
    expect(draft).to_contain_text("s•••@example.com")
    expect(draft).to_contain_text("Stand mixer")
    screenshot(page, "home-with-draft")

    draft.click()
    expect(page).to_have_url(re.compile(rf"/claims/{reference}/steps/item/$"))
    expect(page.locator("#id_product_description")).to_have_value("Bought as a gift.")
    # Left through the step bar, not with Next: no errors until the associate goes on.
    expect(page.get_by_test_id("error-summary")).to_have_count(0)
    screenshot(page, "warranty-resumed")

    page.locator("button[name=goto][value=item]").click()
    expect(page).to_have_url(re.compile(r"/steps/item/$"))
    expect(page.locator("#id_item_name")).to_have_value("Stand mixer")
    expect(page.locator("#id_item_details")).to_have_value("The bowl lock is broken.")
    expect_images_loaded(page.get_by_test_id("attachments-item").locator("img"), 1)
    page.reload()
    expect(page.locator("#id_item_name")).to_have_value("Stand mixer")
    expect_images_loaded(page.get_by_test_id("attachments-item").locator("img"), 1)
    screenshot(page, "item-reloaded")

    page.goto(f"/claims/{reference}/steps/customer/")
    expect(page.locator("#id_customer_email")).to_have_value("sam@example.com")
    expect(page.locator("#id_customer_phone")).to_have_value("+12125550100")
    screenshot(page, "customer-reopened")


@pytest.mark.django_db(transaction=True)
def test_blank_signature_is_refused_when_the_store_requires_one(
    associate_tablet: Page, associate, store, screenshot
):
    assert store.signature_required
    claim = ClaimFactory(
        store=store,
        created_by=associate,
        completed_steps=["customer", "item", "warranty", "address", "issue"],
    )
    page = associate_tablet
    page.goto(f"/claims/{claim.reference}/steps/signature/")
    expect(page).to_have_url(re.compile(r"/steps/review/$"))  # signed under the review
    expect(page.locator("canvas[data-signature-canvas]")).to_be_visible()

    page.get_by_test_id("submit-claim").click()
    expect(page).to_have_url(re.compile(r"/steps/review/$"))
    error = page.locator("#error_signature")
    expect(error).to_be_visible()
    expect(error).to_have_text(
        "The customer has not signed yet: ask them to sign in the box, "
        "or to type their name instead."
    )
    expect(page.get_by_test_id("signature-block")).to_have_class(re.compile(r"\bis-invalid\b"))
    screenshot(page, "blank-signature-refused")

    # Signed, then cleared: still blank.
    sign(page)
    page.locator("[data-signature-clear]").click()
    expect(page.locator("#id_signature_data")).to_have_value("")
    page.get_by_test_id("submit-claim").click()
    expect(page.locator("#error_signature")).to_be_visible()
    claim.refresh_from_db()
    assert not claim.attachments.filter(kind="signature").exists()
    assert claim.status == Claim.Status.DRAFT


def typed_on_customer_step(claim: Claim) -> dict:
    claim.refresh_from_db()
    return claim.pending_input.get("customer", {}).get("data", {})


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not true within {timeout} s"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_page_closed_mid_step_resumes_with_everything_typed(
    associate_tablet: Page, tablet_context, screenshot
):
    page = associate_tablet
    reference = start_claim(page)
    page.fill("#id_ship_first_name", "Dana")
    page.fill("#id_ship_last_name", "Reyes")
    page.fill("#id_customer_email", "dana@example")  # not valid yet: kept all the same
    page.fill("#id_customer_phone", "212 555 0147")

    page.close(run_before_unload=True)
    # The last save leaves with the page (a keepalive request): wait until it has
    # arrived, as an associate reopening the claim a moment later would.
    claim = Claim.objects.get(reference=reference)
    wait_until(lambda: typed_on_customer_step(claim).get("customer_phone") == ["212 555 0147"])
    assert claim.input_page_rendered_at is not None and claim.input_sequence >= 1

    page = tablet_context.new_page()
    page.goto("/")
    page.get_by_test_id("open-claim").get_by_role("link", name=re.compile("Dana Reyes")).click()
    expect(page).to_have_url(re.compile(rf"/claims/{reference}/steps/customer/$"))
    expect(page.locator("#id_ship_first_name")).to_have_value("Dana")
    expect(page.locator("#id_ship_last_name")).to_have_value("Reyes")
    expect(page.locator("#id_customer_email")).to_have_value("dana@example")
    expect(page.locator("#id_customer_phone")).to_have_value("212 555 0147")
    expect(page.get_by_test_id("error-summary")).to_have_count(0)  # not checked: no Next yet
    screenshot(page, "resumed")


@pytest.mark.django_db(transaction=True)
def test_a_reload_right_after_typing_keeps_what_was_typed(
    associate_tablet: Page, monkeypatch, screenshot
):
    page = associate_tablet
    reference = start_claim(page)
    page.fill("#id_ship_first_name", "Dana")
    claim = Claim.objects.get(reference=reference)
    wait_until(lambda: typed_on_customer_step(claim).get("ship_first_name") == ["Dana"])

    # The save that leaves with the page arrives after the reloaded page was rendered,
    # as on a busy server: the reloaded page must not show, and then save, the older value.
    late = []
    save_forms = FormStep.save_forms

    def arrive_late(self, claim, given, **kwargs):
        if not late and any(form.data.get("ship_last_name") == "Reyes" for form in given.values()):
            late.append(True)
            time.sleep(2)
        return save_forms(self, claim, given, **kwargs)

    monkeypatch.setattr(FormStep, "save_forms", arrive_late)
    page.fill("#id_ship_last_name", "Reyes")  # reloaded before its save was due
    page.reload()
    expect(page.locator("#id_ship_last_name")).to_have_value("Reyes")
    wait_until(lambda: late)  # the save that left with the page arrived, late
    wait_until(lambda: typed_on_customer_step(claim).get("ship_last_name") == ["Reyes"])
    screenshot(page, "reloaded-with-the-late-name")

    # Saved now, so a later reload shows it from the server and puts nothing back.
    page.reload()
    expect(page.locator("#id_ship_last_name")).to_have_value("Reyes")
    assert page.evaluate("sessionStorage.getItem('kiosk-unsent')") is None
