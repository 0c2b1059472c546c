"""Quotas on the tablet: what the associate sees when a cap is met (kiosk/services/quotas.py)."""

import re

import pytest
from playwright.sync_api import Page, expect

from kiosk.models import Claim
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_at_the_draft_limit_the_start_screen_says_so_and_keeps_the_customer_typed(
    associate_tablet: Page, associate, store, settings, screenshot
):
    settings.DRAFTS_OPEN_MAX_PER_ASSOCIATE = 2
    for first_name in ("Ana", "Luis"):
        ClaimFactory(
            store=store, created_by=associate, status=Claim.Status.DRAFT, ship_first_name=first_name
        )
    page = associate_tablet
    page.reload()
    page.fill("#id_ship_first_name", "Dana")
    page.fill("#id_customer_email", "dana@example.com")

    page.get_by_role("button", name="Start a new claim").click()

    alert = page.get_by_test_id("draft-limit")
    expect(alert).to_contain_text("You have 2 claims not finished yet")
    expect(page.locator("#id_ship_first_name")).to_have_value("Dana")
    expect(page.locator("#id_customer_email")).to_have_value("dana@example.com")
    expect(page.get_by_test_id("open-claim")).to_have_count(2)
    expect(page.get_by_test_id("discard")).to_have_count(2)
    screenshot(page, "draft-limit")
    assert Claim.objects.count() == 2
    alert.get_by_role("link", name="Go to your claims to finish").click()
    expect(page).to_have_url(re.compile(r"#claims-to-finish$"))


def test_the_autosave_says_what_was_too_long_to_keep(
    associate_tablet: Page, store, settings, screenshot
):
    settings.PENDING_INPUT_MAX_BYTES = 2_000
    page = associate_tablet
    page.get_by_role("button", name="Start a new claim").click()
    expect(page).to_have_url(re.compile(r"/steps/customer/$"))
    page.goto(page.url.replace("/steps/customer/", "/steps/item/"))  # the step bar's way

    page.fill("#id_item_name", "Kettle")
    page.fill("#id_item_details", "It leaks. " * 300)  # 3,000 characters

    indicator = page.get_by_test_id("save-indicator")
    expect(indicator).to_contain_text("Too long to keep on the draft, so not saved:")
    expect(indicator).to_have_attribute("data-state", "unsaved")
    screenshot(page, "too-long-to-keep")
    claim = Claim.objects.get()
    assert claim.pending_input["item"]["data"]["item_name"] == ["Kettle"]
    assert "item_details" not in claim.pending_input["item"]["data"]
