"""The address step at tablet size: the store's state first, a ZIP code that is not one
refused with what one is, a ZIP code of another state confirmed; the review in words."""

import re

import pytest
from playwright.sync_api import Page, expect

from kiosk.models import Claim
from tests.browser.conftest import draft_at_its_address

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def springfield_claim(associate, store) -> Claim:
    """A draft at its address step at a store in Illinois."""
    return draft_at_its_address(
        store,
        associate,
        state="US-IL",
        warranty_period="P2Y",
        completed_steps=["customer", "item", "warranty", "issue", "signature"],
    )


def test_the_address_step_checks_the_zip_code_and_keeps_what_was_typed(
    associate_tablet: Page, springfield_claim: Claim, screenshot
):
    page = associate_tablet
    assert page.viewport_size == {"width": 820, "height": 1180}
    page.goto(f"/claims/{springfield_claim.reference}/steps/address/")
    expect(page.locator("#id_ship_state")).to_have_value("US-IL")  # the store's state
    expect(page.locator("#id_ship_country")).to_have_value("US")

    page.fill("#id_ship_address1", "1 Nowhere Rd")
    page.fill("#id_ship_city", "Springfield")
    page.fill("#id_ship_zip", "ABCDE")
    page.get_by_test_id("next").click()

    zip_error = page.locator("#id_ship_zip ~ .invalid-feedback, #error_1_id_ship_zip").first
    expect(zip_error).to_contain_text("A US ZIP code is 5 digits, like 62701")
    expect(page.get_by_test_id("error-summary")).to_contain_text("A US ZIP code is 5 digits")
    expect(page.locator("#id_ship_address1")).to_have_value("1 Nowhere Rd")
    expect(page.locator("#id_ship_city")).to_have_value("Springfield")
    expect(page.locator("#id_ship_zip")).to_have_value("ABCDE")
    expect(page.locator("#id_ship_state")).to_have_value("US-IL")
    screenshot(page, "zip-code-format")

    # A real ZIP code, of another state: asked, not refused.
    page.fill("#id_ship_zip", "10001")
    expect(page.locator("#id_ship_state")).to_have_value("US-IL")  # chosen: kept
    page.get_by_test_id("next").click()
    confirm = page.locator("#id_postal_code_state_confirmed")
    expect(confirm).to_be_visible()
    expect(page.get_by_test_id("error-summary")).to_contain_text(
        "The ZIP code 10001 is in New York, not in Illinois."
    )
    expect(page.get_by_label("Both are right: ship to 10001 in Illinois")).not_to_be_checked()
    expect(page.locator("#id_ship_address1")).to_have_value("1 Nowhere Rd")
    screenshot(page, "zip-code-of-another-state")

    confirm.check()
    page.get_by_test_id("next").click()
    expect(page).not_to_have_url(re.compile(r"/steps/address/$"))
    springfield_claim.refresh_from_db()
    assert (springfield_claim.ship_zip, springfield_claim.ship_state) == ("10001", "US-IL")

    page.goto(f"/claims/{springfield_claim.reference}/steps/review/")
    review = page.get_by_test_id("review")
    expect(review).to_contain_text("2 years")
    expect(review).to_contain_text("United States")
    expect(review).to_contain_text("Illinois")
    expect(review).not_to_contain_text("P2Y")
    expect(review).not_to_contain_text("State code")
    screenshot(page, "review-in-words")


def test_a_warranty_claims_other_problems_are_not_shipping_problems(
    associate_tablet: Page, springfield_claim: Claim, screenshot
):
    page = associate_tablet
    page.goto(f"/claims/{springfield_claim.reference}/steps/item/")
    expect(page.get_by_text("What kind of problem?")).to_be_visible()
    expect(page.get_by_text("Describe the problem")).to_be_visible()

    page.get_by_text("Another problem…").click()

    others = page.locator("[data-other-problems]")
    expect(others).to_be_visible()
    expect(others).to_contain_text("Wrong item")
    for shipping in ("Stolen", "Delivered but not received", "Tracking not moving"):
        expect(page.locator("body")).not_to_contain_text(shipping)
    others.scroll_into_view_if_needed()
    screenshot(page, "other-problems-of-a-warranty-claim")
