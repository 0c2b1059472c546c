"""The customer's copy: the email the worker sends, and the page the associate prints."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import Page, expect

from kiosk.models import Claim

pytestmark = pytest.mark.django_db(transaction=True)

RECEIPT_PRINTER = {"width": 302, "height": 900}  # 80 mm at 96 px per inch


def test_the_customer_gets_an_email_and_a_printed_copy(
    associate_tablet: Page, make_complete_claim, api_to_sandbox, screenshot
):
    claim = make_complete_claim()
    page = associate_tablet
    page.goto(f"/claims/{claim.reference}/steps/review/")
    page.get_by_test_id("submit-claim").click()
    expect(page.get_by_test_id("claim-result")).to_have_attribute("data-status", "filed")
    number = page.get_by_test_id("claim-number").inner_text().strip()

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    [email] = mail.outbox
    assert email.to == ["customer@example.com"]
    assert number in email.subject
    for body in (email.body, email.alternatives[0].content):
        assert number in body
        assert claim.reference in body
        assert "Main Street" in body
        assert "Espresso machine (SKU-12345)" in body
    claim.refresh_from_db()
    assert claim.customer_copy_status == Claim.CustomerCopyStatus.SENT

    print_copy = page.get_by_test_id("print-copy")
    expect(print_copy).to_have_text("Print the customer's copy")
    assert print_copy.bounding_box()["height"] >= 44
    screenshot(page, "result")
    print_copy.click()
    expect(page).to_have_url(re.compile(rf"/claims/{claim.reference}/receipt/$"))
    copy = page.get_by_test_id("customer-copy")
    expect(copy.get_by_test_id("copy-number")).to_have_text(number)
    for text in ("Main Street", "Espresso machine (SKU-12345)", "c•••@example.com", "•••0100"):
        expect(copy).to_contain_text(text)
    expect(copy).not_to_contain_text("customer@example.com")
    print_button = page.get_by_role("button", name="Print")
    assert print_button.bounding_box()["height"] >= 44
    screenshot(page, "receipt-on-the-tablet")

    page.evaluate("window.print = () => { window.printed = true; }")
    print_button.click()
    assert page.evaluate("window.printed") is True

    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.get_by_test_id("sandbox-banner")).to_be_hidden()
    screenshot(page, "printed-a4-or-letter")

    page.set_viewport_size(RECEIPT_PRINTER)
    number_box = copy.get_by_test_id("copy-number").bounding_box()
    assert number_box["width"] <= RECEIPT_PRINTER["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= RECEIPT_PRINTER["width"]
    screenshot(page, "printed-80mm-receipt")
