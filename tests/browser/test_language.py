"""The customer reads and signs in Spanish while the associate's pages stay in English."""

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from kiosk.models import Claim
from tests.browser.conftest import Photos, sign
from tests.browser.test_claim_flow import expect_images_loaded, next_step, start_claim


@pytest.mark.django_db(transaction=True)
def test_the_customer_taps_espanol_and_signs_a_spanish_review(
    associate_tablet: Page, photos: Photos, screenshot
):
    page = associate_tablet
    reference = start_claim(page)

    # Typed before the tap, kept after it: the autosave goes first.
    page.fill("#id_ship_first_name", "María")
    page.fill("#id_ship_last_name", "López")
    toggle = page.get_by_test_id("customer-language")
    espanol = toggle.get_by_role("button", name="Español")
    expect(espanol).to_have_attribute("lang", "es")
    expect(espanol).to_have_attribute("aria-pressed", "false")
    espanol.click()
    expect(toggle.get_by_role("button", name="Español")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#id_ship_first_name")).to_have_value("María")
    expect(page.locator("#id_ship_last_name")).to_have_value("López")
    assert Claim.objects.get(reference=reference).customer_language == "es-us"
    # The associate's page stays English.
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Customer", exact=True)).to_be_visible()
    page.fill("#id_customer_email", "maria.lopez@example.com")
    page.fill("#id_customer_phone", "(212) 555-0100")
    screenshot(page, "customer-espanol")
    next_step(page, "item")

    page.fill("#id_item_name", "Cafetera")
    page.fill("#id_item_price", "1234.50")
    page.fill("#id_item_details", "Pierde agua por la base.")
    page.set_input_files("#id_item_photos", photos.item)
    expect_images_loaded(page.get_by_test_id("attachments-item").locator("img"), 1)
    page.click("label[for=id_issue_type_0]")
    page.click("label[for=id_resolution_1]")
    page.fill("#id_date_of_purchase", "2026-11-02")
    page.set_input_files("#id_receipt_photos", photos.receipt)
    expect_images_loaded(page.get_by_test_id("attachments-receipt").locator("img"), 1)
    next_step(page, "address")
    page.fill("#id_ship_address1", "123 Main St")
    page.fill("#id_ship_city", "New York")
    page.fill("#id_ship_zip", "10001")
    page.select_option("#id_ship_state", "US-NY")
    next_step(page, "review")

    # What the customer reads and signs: Spanish, marked lang="es", the US way.
    review = page.get_by_test_id("review")
    expect(review).to_have_attribute("lang", "es")
    for text in (
        "Cliente",
        "Artículo",
        "Precio pagado",
        "$1,234.50",
        "Fecha de compra",
        "2 de noviembre de 2026",
        "1 año",
        "Artículo defectuoso",
        "Envío de un reemplazo",
        "Dirección de envío",
    ):
        expect(review).to_contain_text(text)
    signature = page.get_by_test_id("review-signature")
    expect(signature).to_have_attribute("lang", "es")
    expect(signature.get_by_role("heading", name="Firma del cliente")).to_be_visible()
    expect(signature).to_contain_text("Firme sobre la línea")
    # The associate's buttons stay English, and say so.
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("submit-claim")).to_have_text("Submit claim")
    edit = review.locator("a.review-edit").first
    expect(edit).to_have_attribute("lang", "en")
    expect(edit).to_contain_text("Edit")
    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    expect(
        page.get_by_test_id("customer-language").get_by_role("button", name="Español")
    ).to_have_attribute("aria-pressed", "true")
    screenshot(page, "review-espanol")
    sign(page)
    screenshot(page, "review-espanol-signed")

    page.get_by_test_id("submit-claim").click()
    expect(page).to_have_url(re.compile(r"/result/$"))
    expect(page.get_by_test_id("result-summary")).to_have_attribute("lang", "es")
    expect(page.get_by_test_id("result-summary")).to_contain_text("Artículo defectuoso")
    expect(page.get_by_test_id("next-claim")).to_have_text("Start next claim")
    screenshot(page, "result-espanol")
    assert datetime.date(2026, 11, 2) == Claim.objects.get(reference=reference).date_of_purchase
