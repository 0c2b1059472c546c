"""What the associate and the manager see while a claim is on its way."""

import re

import pytest
from playwright.sync_api import Page, expect

from kiosk.models import Claim
from kiosk.services.demo import DEMO_LOGINS, demo_setup

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


def test_manager_sees_undelivered_claims_and_retries_one(
    settings, tablet: Page, complete_claim, api_to_sandbox, run_worker, screenshot
):
    settings.ORDERPROTECTION_API_TOKEN = "revoked-token"
    from kiosk.services.submission import claim_submit

    claim_submit(claim=complete_claim, media_base_url="http://127.0.0.1:9")
    complete_claim.refresh_from_db()
    assert complete_claim.attention_reason == Claim.AttentionReason.CONFIGURATION
    demo_setup()
    manager = next(login for login in DEMO_LOGINS if login.role == "manager")
    page = tablet
    page.goto("/admin/login/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", manager.password)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_test_id("undelivered-total")).to_have_text("1")
    screenshot(page, "admin-index-undelivered")
    page.get_by_role("link", name="Needs attention").click()
    page.get_by_role("link", name=complete_claim.reference).click()
    expect(page.get_by_test_id("needs-attention")).to_contain_text(
        "Needs attention: Configuration or credentials refused"
    )
    screenshot(page, "claim-needs-attention")

    settings.ORDERPROTECTION_API_TOKEN = "sandbox-token"  # the engineer fixed it
    page.go_back()
    page.locator(f"input[name='_selected_action'][value='{complete_claim.pk}']").check()
    page.select_option("select[name='action']", "retry_delivery")
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist")).to_contain_text(
        f"Queued for delivery again: {complete_claim.reference}"
    )
    screenshot(page, "retry-queued")
    claim = run_worker(complete_claim)
    assert claim.status == Claim.Status.FILED
