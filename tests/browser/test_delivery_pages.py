"""What the associate and the manager see while a claim is on its way."""

import re

import pytest
from playwright.sync_api import Page, expect

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
    expect(page.get_by_test_id("claim-number")).to_have_text(claim.source_order_id, timeout=10_000)
    screenshot(page, "filed-after-refresh")
    assert len(api_to_sandbox.claims) == 1
