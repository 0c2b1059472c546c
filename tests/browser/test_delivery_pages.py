"""What the associate and the manager see while a claim is on its way."""

import re

import pytest
from playwright.sync_api import Page, expect

from kiosk.models import Claim
from tests.browser.conftest import TABLET, log_in
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_counter_shows_saved_then_the_claim_number_once_the_worker_files_it(
    settings, associate_tablet: Page, complete_claim, api_to_sandbox, run_worker, screenshot
):
    settings.DELIVERY_COUNTER_DEADLINE = 0.5
    api_to_sandbox.set_faults(latency_ms=1500, times=1)
    page = associate_tablet
    page.goto(f"/claims/{complete_claim.reference}/steps/review/")

    page.get_by_test_id("submit-claim").click()

    expect(page).to_have_url(re.compile(r"/result/$"))
    expect(page.get_by_test_id("claim-queued")).to_have_text(
        "Saved. It will be filed automatically."
    )
    expect(page.get_by_test_id("claim-reference")).to_have_text(complete_claim.reference)
    screenshot(page, "saved-will-be-filed")

    claim = run_worker(complete_claim)

    # The page refreshes itself and shows the number while the customer is still there.
    expect(page.get_by_test_id("claim-number")).to_have_text(claim.claim_number, timeout=10_000)
    screenshot(page, "filed-after-refresh")
    assert len(api_to_sandbox.claims) == 1


def test_without_script_the_page_still_refreshes_marked_as_automatic(
    new_context, live_server, associate, store, settings
):
    settings.KIOSK_RESULT_REFRESH_SECONDS = 1
    claim = ClaimFactory(store=store, created_by=associate, status=Claim.Status.QUEUED)
    page = new_context(base_url=live_server.url, java_script_enabled=False, **TABLET).new_page()
    log_in(page, associate.username)
    page.goto(f"/claims/{claim.reference}/result/")

    # The idle lock does not count this reload as someone at the tablet.
    with page.expect_request(re.compile(r"/result/\?automatic=1$"), timeout=10_000):
        expect(page.get_by_test_id("claim-queued")).to_be_visible()
