"""What the associate and the manager see when OrderProtection decides a filed claim."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page, expect

from kiosk.demo.seed import DEMO_LOGINS, demo_setup
from kiosk.models import Claim
from kiosk.services.submission import claim_submit

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "whsec-browser"


def test_the_associate_sees_filed_turn_approved_and_the_manager_filters_by_state(
    settings,
    live_server,
    associate_tablet: Page,
    browser,
    make_complete_claim,
    api_to_sandbox,
    media_server,
    screenshot,
):
    settings.ORDERPROTECTION_WEBHOOK_SECRET = SECRET
    approved, waiting = make_complete_claim(), make_complete_claim()
    for claim in (approved, waiting):
        claim_submit(claim=claim, media_base_url=media_server)
        claim.refresh_from_db()
        assert claim.status == Claim.Status.FILED
    page = associate_tablet
    page.goto(reverse("kiosk:claim-result", args=[approved.reference]))
    expect(page.get_by_text("Claim filed")).to_be_visible()
    expect(page.get_by_test_id("claim-state")).to_have_count(0)
    screenshot(page, "filed")

    api_to_sandbox.set_webhook(
        url=live_server.url + reverse("orderprotection-webhook"), secret=SECRET, style="app"
    )
    api_to_sandbox.set_claim_state(approved.claim_number, "APPROVED", resolution="REFUND")
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    page.reload()

    expect(page.get_by_test_id("claim-state")).to_contain_text("Approved")
    expect(page.get_by_test_id("claim-state")).to_contain_text("Refund")
    screenshot(page, "approved")
    # The start screen keeps no trail of customers; their claims are found by contact.
    page.goto(reverse("kiosk:customer-claims"))
    page.fill("#id_contact", approved.customer_email)
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_test_id("customer-claims")).to_contain_text("Approved")
    screenshot(page, "customer-claims")

    demo_setup()
    manager = next(login for login in DEMO_LOGINS if login.role == "manager")
    approved.store.members.add(get_user_model().objects.get(username=manager.username))
    desk = browser.new_page(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    desk.goto("/admin/login/")
    desk.fill("#id_username", manager.username)
    desk.fill("#id_password", manager.password)
    desk.get_by_role("button", name="Log in").click()
    desk.goto(reverse("admin:kiosk_claim_changelist"))
    desk.locator("#changelist-filter").get_by_role("link", name="Approved").click()

    expect(desk).to_have_url(re.compile(r"claim_state=APPROVED"))
    expect(desk.locator("#result_list")).to_contain_text(approved.claim_number)
    expect(desk.locator("#result_list")).not_to_contain_text(waiting.claim_number)
    screenshot(desk, "manager-filters-approved")
    desk.close()
