"""Is it covered? The warranty section says so as the date changes; an expired one needs a
reason."""

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from kiosk.models import Claim
from kiosk.services.coverage import claim_coverage

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_expired_warranty_is_filed_with_an_override_reason(
    associate_tablet: Page, make_complete_claim, api_to_sandbox, screenshot
):
    claim = make_complete_claim()  # bought recently, P1Y
    page = associate_tablet
    page.goto(f"/claims/{claim.reference}/steps/warranty/")
    coverage = page.get_by_test_id("coverage")
    reason = page.locator("#id_warranty_override_reason")
    expect(coverage).to_have_text(claim_coverage(claim=claim).label)
    expect(coverage).to_contain_text("Covered until")
    expect(reason).to_be_hidden()
    screenshot(page, "covered")

    long_ago = datetime.date.today() - datetime.timedelta(days=400)
    page.fill("#id_date_of_purchase", f"{long_ago:%Y-%m-%d}")
    expect(coverage).to_have_text(re.compile(r"^Expired 1\smonth ago$"))
    expect(coverage).to_have_class(re.compile(r"\bexpired\b"))
    expect(reason).to_be_visible()
    screenshot(page, "expired")

    page.get_by_test_id("next").click()
    expect(page).to_have_url(re.compile(r"/steps/item/$"))  # the warranty is on the item's page
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Override reason")
    expect(page.locator("#div_id_warranty_override_reason .invalid-feedback")).to_contain_text(
        "give a reason to file the claim anyway"
    )
    expect(page.locator("#id_date_of_purchase")).to_have_value(f"{long_ago:%Y-%m-%d}")
    expect(page.locator("#id_product_description")).to_have_value("Used daily, no visible damage.")
    expect(coverage).to_contain_text("Expired")
    screenshot(page, "reason-missing")

    reason.fill("Manager Sam approved it: a known fault of this model.")
    page.get_by_test_id("next").click()
    expect(page).to_have_url(re.compile(r"/steps/address/$"))

    page.goto(f"/claims/{claim.reference}/steps/review/")
    review_coverage = page.get_by_test_id("review-coverage")
    expect(review_coverage).to_contain_text(re.compile(r"Expired 1\smonth ago"))
    expect(page.get_by_test_id("override-reason")).to_have_text(
        "Manager Sam approved it: a known fault of this model."
    )
    screenshot(page, "review")

    page.get_by_test_id("submit-claim").click()
    expect(page.get_by_test_id("claim-result")).to_have_attribute("data-status", "filed")
    sent = api_to_sandbox.received[-1].body_json
    assert sent["warranty"]["dateOfPurchase"].startswith(f"{long_ago:%Y-%m-%d}")
    assert "Manager Sam" not in str(sent)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.FILED
    assert claim.warranty_override_reason.startswith("Manager Sam approved it")
