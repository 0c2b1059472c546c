"""Offline, the customer still reads and signs the review in their language: the review's
shell carries the customer's words in every language, and the tablet shows the claim's
(kept with the claim's data, else the store's). The toggle works offline too: the choice
is kept in the outbox and reaches the claim with the rest."""

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from kiosk.models import Claim
from tests.browser.conftest import Photos, sign
from tests.browser.test_claim_flow import CLAIMS_PATH
from tests.browser.test_offline import (
    fill_address,
    fill_customer,
    fill_item,
    fill_warranty,
    next_step,
    unlock,
    wait_until,
    waiting_requests,
)

pytestmark = pytest.mark.django_db(transaction=True)


def expect_spanish_review(page: Page) -> None:
    """What the customer reads is Spanish and says so; the associate's page stays English."""
    review = page.get_by_test_id("review")
    expect(review).to_have_attribute("lang", "es")
    for text in ("Cliente", "Artículo", "Dirección de envío", "Dirección", "Ciudad", "Nueva York"):
        expect(review).to_contain_text(text)
    for text in ("Shipping address", "City", "United States"):
        expect(review).not_to_contain_text(text)
    signature = page.get_by_test_id("review-signature")
    expect(signature).to_have_attribute("lang", "es")
    expect(signature.get_by_role("heading", name="Firma del cliente")).to_be_visible()
    expect(signature).to_contain_text("Firme sobre la línea")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    expect(page.get_by_test_id("submit-claim")).to_have_text("Submit claim")
    edit = review.locator("a.review-edit").first
    expect(edit).to_have_attribute("lang", "en")
    expect(edit).to_have_text("Edit")
    expect(
        page.get_by_test_id("customer-language").get_by_role("button", name="Español")
    ).to_have_attribute("aria-pressed", "true")


def started_in_spanish(page: Page, photos: Photos) -> str:
    """A claim started online with the customer's language set to Spanish first thing,
    filled up to the address page; returns its reference."""
    page.get_by_role("button", name="Start a new claim").click()
    expect(page).to_have_url(re.compile(r"/steps/customer/$"))
    reference = page.get_by_test_id("claim-reference").inner_text()
    # Tapped first thing, nothing typed yet (kiosk.js once dropped this tap).
    page.get_by_test_id("customer-language").get_by_role("button", name="Español").click()
    expect(
        page.get_by_test_id("customer-language").get_by_role("button", name="Español")
    ).to_have_attribute("aria-pressed", "true")
    assert Claim.objects.get(reference=reference).customer_language == "es-us"
    fill_customer(page, first="Maria")
    next_step(page, "item")
    expect(fill_item(page, photos, name="Cafetera").locator("img")).to_have_count(1)
    fill_warranty(page, photos, kept=False)
    next_step(page, "address")
    return reference


def test_a_spanish_customer_s_claim_is_reviewed_offline_in_spanish_signed_and_filed(
    api_to_sandbox,
    tablet_context: BrowserContext,
    tablet: Page,
    manager,
    associate,
    pins,
    photos: Photos,
    screenshot,
):
    sandbox = api_to_sandbox
    page = tablet
    unlock(page, manager)
    reference = started_in_spanish(page, photos)

    # The Wi-Fi drops on the address page: its save is kept, with the customer's language.
    tablet_context.set_offline(True)
    fill_address(page)
    next_step(page, "review")
    expect(page.get_by_test_id("save-indicator")).to_contain_text("Kept on this tablet")
    expect_spanish_review(page)
    expect(page.get_by_test_id("review")).to_contain_text("123 Main St")
    sign(page)
    screenshot(page, "review-offline-espanol")
    page.get_by_test_id("submit-claim").click()
    expect(page).to_have_url(re.compile(rf"/claims/{reference}/result/$"))
    expect(page.get_by_test_id("claim-kept")).to_be_visible()
    assert Claim.objects.get(reference=reference).status != Claim.Status.FILED

    tablet_context.set_offline(False)
    wait_until(lambda: Claim.objects.get(reference=reference).status == Claim.Status.FILED)
    wait_until(lambda: waiting_requests(page) == 0)
    claim = Claim.objects.get(reference=reference)
    assert claim.customer_language == "es-us"
    assert claim.ship_zip == "10001"
    assert claim.attachments.current().filter(kind="signature").count() == 1
    filed = [r for r in sandbox.received if r.path.startswith(CLAIMS_PATH)]
    assert len(filed) == 1


def test_the_customer_taps_espanol_on_the_review_offline_and_the_claim_keeps_it(
    api_to_sandbox,
    tablet_context: BrowserContext,
    tablet: Page,
    manager,
    associate,
    pins,
    photos: Photos,
    screenshot,
):
    sandbox = api_to_sandbox
    page = tablet
    unlock(page, manager)
    tablet_context.set_offline(True)
    fill_customer(page)
    page.get_by_role("button", name="Start a new claim").click()
    expect(page).to_have_url(re.compile(r"/claims/R-\w{8}/steps/item/$"))
    reference = page.get_by_test_id("claim-reference").inner_text()
    expect(fill_item(page, photos)).to_contain_text("Kept on this tablet")
    fill_warranty(page, photos, kept=True)
    next_step(page, "address")
    fill_address(page)
    next_step(page, "review")

    # Started offline: the store's language (English) until the customer taps Español.
    review = page.get_by_test_id("review")
    expect(review).to_have_attribute("lang", "en")
    expect(review).to_contain_text("Shipping address")
    expect(
        page.get_by_test_id("customer-language").get_by_role("button", name="English")
    ).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("customer-language").get_by_role("button", name="Español").click()
    expect_spanish_review(page)
    kept_photo = review.get_by_role("img", name="Foto del artículo (guardada en esta tableta)")
    expect(kept_photo).to_be_visible()
    sign(page)
    screenshot(page, "review-offline-toggled")
    page.get_by_test_id("submit-claim").click()
    expect(page).to_have_url(re.compile(rf"/claims/{reference}/result/$"))
    assert not Claim.objects.exists()

    tablet_context.set_offline(False)
    wait_until(lambda: Claim.objects.filter(status=Claim.Status.FILED).exists())
    claim = Claim.objects.get()
    assert claim.reference == reference
    assert claim.customer_language == "es-us"
    filed = [r for r in sandbox.received if r.path.startswith(CLAIMS_PATH)]
    assert len(filed) == 1


def test_a_claim_in_spanish_online_is_reviewed_in_spanish_offline_before_anything_is_kept(
    tablet_context: BrowserContext,
    tablet: Page,
    manager,
    associate,
    pins,
    photos: Photos,
    screenshot,
):
    page = tablet
    unlock(page, manager)
    reference = started_in_spanish(page, photos)
    fill_address(page)
    next_step(page, "review")
    expect(page.get_by_test_id("review")).to_have_attribute("lang", "es")

    # The Wi-Fi drops and the page reloads: every step is on the server, nothing is kept
    # on the tablet, and the review's shell still speaks the customer's language.
    tablet_context.set_offline(True)
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-offline-shell", re.compile(".*"))
    assert waiting_requests(page) == 0
    review = page.get_by_test_id("review")
    expect(review).to_have_attribute("lang", "es")
    expect(review).to_contain_text("Dirección de envío")
    signature = page.get_by_test_id("review-signature")
    expect(signature.get_by_role("heading", name="Firma del cliente")).to_be_visible()
    expect(
        page.get_by_test_id("customer-language").get_by_role("button", name="Español")
    ).to_have_attribute("aria-pressed", "true")
    screenshot(page, "review-offline-reloaded")
    assert Claim.objects.get(reference=reference).customer_language == "es-us"
