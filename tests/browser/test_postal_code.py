"""The address step: a US ZIP code fills the city and the state, never over the associate's."""

import re

import pytest
from playwright.sync_api import Page, expect

from kiosk.models import Claim
from tests.browser.conftest import draft_at_its_address

pytestmark = pytest.mark.django_db(transaction=True)
LOOKUP = "**/claims/postal-code/**"


@pytest.fixture
def fresh_address(associate, store) -> Claim:
    """A draft at its address step at a store in New York."""
    return draft_at_its_address(
        store, associate, state="US-NY", completed_steps=["customer", "item", "warranty"]
    )


def open_address(page: Page, claim: Claim) -> None:
    page.goto(f"/claims/{claim.reference}/steps/address/")
    expect(page.locator("#id_ship_zip")).to_be_visible()


def test_a_zip_code_fills_the_city_and_replaces_the_stores_state(
    associate_tablet: Page, fresh_address: Claim, screenshot
):
    page = associate_tablet
    open_address(page, fresh_address)
    # The ZIP code comes before the city, as on US checkouts.
    zip_box = page.locator("#id_ship_zip").bounding_box()
    city_box = page.locator("#id_ship_city").bounding_box()
    assert zip_box["x"] < city_box["x"]

    page.fill("#id_ship_address1", "1 Broad St")
    page.fill("#id_ship_zip", "07102-1234")

    expect(page.locator("#id_ship_city")).to_have_value("Newark")
    expect(page.locator("#id_ship_state")).to_have_value("US-NJ")
    status = page.get_by_test_id("postal-code-fill")
    expect(status).to_have_text("Newark, NJ filled from the ZIP code")
    expect(status).to_have_attribute("aria-live", "polite")
    screenshot(page, "address-filled-from-zip")

    # Another ZIP code replaces what the first one filled, untouched since.
    page.fill("#id_ship_zip", "60601")
    expect(page.locator("#id_ship_city")).to_have_value("Chicago")
    expect(page.locator("#id_ship_state")).to_have_value("US-IL")
    expect(status).to_have_text("Chicago, IL filled from the ZIP code")

    page.get_by_test_id("next").click()
    expect(page).not_to_have_url(re.compile(r"/steps/address/$"))
    fresh_address.refresh_from_db()
    assert (fresh_address.ship_city, fresh_address.ship_state, fresh_address.ship_zip) == (
        "Chicago",
        "US-IL",
        "60601",
    )


def test_a_zip_code_leaves_a_city_the_associate_typed(
    associate_tablet: Page, fresh_address: Claim, screenshot
):
    page = associate_tablet
    open_address(page, fresh_address)

    page.fill("#id_ship_city", "Harrison")
    page.fill("#id_ship_zip", "07102")

    expect(page.get_by_test_id("postal-code-fill")).to_have_text("NJ filled from the ZIP code")
    expect(page.locator("#id_ship_state")).to_have_value("US-NJ")
    expect(page.locator("#id_ship_city")).to_have_value("Harrison")
    screenshot(page, "city-kept")


def test_a_zip_code_leaves_a_state_the_associate_chose(
    associate_tablet: Page, fresh_address: Claim
):
    page = associate_tablet
    open_address(page, fresh_address)

    page.select_option("#id_ship_state", "US-CT")
    page.fill("#id_ship_zip", "07102")

    expect(page.get_by_test_id("postal-code-fill")).to_have_text("Newark filled from the ZIP code")
    expect(page.locator("#id_ship_city")).to_have_value("Newark")
    expect(page.locator("#id_ship_state")).to_have_value("US-CT")


def test_the_stores_state_on_an_address_already_written_counts_as_chosen(
    associate_tablet: Page, fresh_address: Claim
):
    fresh_address.ship_address1 = "1 Broad St"
    fresh_address.save()
    page = associate_tablet
    open_address(page, fresh_address)

    page.fill("#id_ship_zip", "07102")

    expect(page.get_by_test_id("postal-code-fill")).to_have_text("Newark filled from the ZIP code")
    expect(page.locator("#id_ship_state")).to_have_value("US-NY")


def test_without_an_answer_the_associate_types_the_city_as_before(
    associate_tablet: Page, fresh_address: Claim
):
    page = associate_tablet
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route(LOOKUP, lambda route: route.abort("internetdisconnected"))
    open_address(page, fresh_address)

    with page.expect_event("requestfailed", lambda request: "postal-code" in request.url):
        page.fill("#id_ship_zip", "07102")

    expect(page.locator("#id_ship_city")).to_have_value("")
    expect(page.get_by_test_id("postal-code-fill")).to_have_text("")
    assert errors == []
