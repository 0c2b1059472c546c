"""The background save of a step is sent again by itself when it did not go through."""

import json
import re
import time

import pytest
from playwright.sync_api import Page, Route, expect

from kiosk.models import Claim
from tests.browser.test_claim_flow import next_step, start_claim


@pytest.mark.django_db(transaction=True)
def test_a_background_save_that_failed_is_sent_again_without_new_input(
    associate_tablet: Page, screenshot
):
    page = associate_tablet
    reference = start_claim(page)
    page.fill("#id_ship_first_name", "Sam")
    page.fill("#id_ship_last_name", "Park")
    page.fill("#id_customer_email", "sam@example.com")
    page.fill("#id_customer_phone", "212 555 0100")
    next_step(page, "item")
    failed = []

    def first_save_fails(route: Route) -> None:
        request = route.request
        if request.method == "POST" and request.headers.get("x-kiosk-automatic") and not failed:
            failed.append(request.url)
            route.abort("connectionreset")  # the store's Wi-Fi, for a moment
        else:
            route.continue_()

    page.route(re.compile(r"/steps/item/$"), first_save_fails)
    page.fill("#id_item_name", "Stand mixer")
    expect(page.locator("[data-save-indicator]")).to_have_attribute("data-state", "unsaved")
    screenshot(page, "save-failed")

    # Nothing else is typed: the save goes again by itself and reaches the server.
    def reached_the_server() -> bool:
        # Saved, or kept on the draft while the item step is not complete yet.
        claim = Claim.objects.get(reference=reference)
        return "Stand mixer" in json.dumps([claim.item_name, claim.pending_input])

    assert not reached_the_server()
    deadline = time.monotonic() + 30
    while not reached_the_server():
        assert time.monotonic() < deadline, "the failed save was not sent again"
        page.wait_for_timeout(200)  # not time.sleep: the route above answers only meanwhile
    assert len(failed) == 1
    expect(page.locator("[data-save-indicator]")).to_have_attribute("data-state", "saved")
