"""The manager's desk in a browser: a manager of store B at work, and one of store A."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import Page, expect

from kiosk.models import Claim, Variant
from kiosk.roles import STORE_MANAGERS
from kiosk.services.submission import claim_submit
from tests.browser.conftest import PASSWORD
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

DESK = {"viewport": {"width": 1280, "height": 900}}
BAD_ROWS = "catalog_bad_rows.csv"


def manager_of(store, username):
    user = UserFactory(username=username, first_name=username.title(), is_staff=True)
    user.groups.add(Group.objects.get(name=STORE_MANAGERS))
    store.members.add(user)
    return user


def admin_log_in(page: Page, username: str) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("undelivered-summary")).to_be_visible()


def test_a_store_manager_at_the_desk(
    settings,
    new_context,
    live_server,
    store,
    associate,
    make_complete_claim,
    api_to_sandbox,
    media_server,
    run_worker,
    screenshot,
):
    # Store B is the associate's store; store A is someone else's.
    store_a = StoreFactory(name="Uptown", source_store_id="store_a")
    manager_of(store_a, "alma")
    manager_of(store, "bruno")
    other = make_complete_claim()
    other.store = store_a
    other.save()
    filed = make_complete_claim()
    claim_submit(claim=filed, media_base_url=media_server)
    settings.ORDERPROTECTION_API_TOKEN = "revoked-token"
    stuck = make_complete_claim()
    claim_submit(claim=stuck, media_base_url=media_server)
    stuck.refresh_from_db()
    assert stuck.attention_reason == Claim.AttentionReason.CONFIGURATION
    claim_submit(claim=other, media_base_url=media_server)
    settings.ORDERPROTECTION_API_TOKEN = "sandbox-token"  # the engineer fixed it

    context = new_context(base_url=live_server.url, accept_downloads=True, **DESK)
    page = context.new_page()
    admin_log_in(page, "bruno")
    expect(page.get_by_test_id("undelivered-total")).to_have_text("1")
    screenshot(page, "index")

    # Only store B's claims, and the store filter offers only store B.
    page.goto(reverse("admin:kiosk_claim_changelist"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#result_list")).not_to_contain_text(other.reference)
    expect(page.locator("#changelist-filter")).not_to_contain_text("Uptown")
    screenshot(page, "claims")

    # A filtered export, opened.
    page.locator("#changelist-filter").get_by_role("link", name="Needs attention").first.click()
    expect(rows).to_have_count(1)
    page.get_by_test_id("export-all").click()
    expect(page.get_by_test_id("export-rows")).to_have_text("1")
    with page.expect_download() as download:
        page.get_by_test_id("export-download").click()
    exported = list(
        csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig")))
    )
    assert [row["reference"] for row in exported] == [stuck.reference]
    page.get_by_role("link", name="Back to the claims").click()

    # The dashboard.
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_test_id("dashboard-total")).to_have_text("2")
    expect(page.get_by_test_id("dashboard-needs-attention")).to_contain_text("1")
    expect(page.locator(".dashboard-chart rect")).not_to_have_count(0)
    screenshot(page, "dashboard")

    # The claim that needs attention: retried, with a reason, then on its timeline.
    page.get_by_test_id("dashboard-needs-attention").click()
    page.get_by_role("link", name=stuck.reference).click()
    expect(page.get_by_test_id("needs-attention")).to_contain_text("Configuration or credentials")
    screenshot(page, "claim-needs-attention")
    page.go_back()
    page.locator(f"input[name='_selected_action'][value='{stuck.pk}']").check()
    page.select_option("select[name='action']", "retry_delivery")
    page.get_by_role("button", name="Run").click()
    page.fill("#id_reason", "The API token was renewed.")
    screenshot(page, "retry-why")
    page.get_by_role("button", name="Retry delivery").click()
    expect(page.locator(".messagelist")).to_contain_text(
        f"Queued for delivery again: {stuck.reference}"
    )
    run_worker(stuck)
    page.goto(reverse("admin:kiosk_claim_change", args=[stuck.pk]))
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Retried delivery — bruno: The API token was renewed.")
    expect(timeline).to_contain_text(f"filed as {stuck.claim_number}")
    screenshot(page, "timeline")

    # Store A's manager opens store B's claim by its URL.
    other_context = new_context(base_url=live_server.url, **DESK)
    alma = other_context.new_page()
    admin_log_in(alma, "alma")
    response = alma.goto(reverse("admin:kiosk_claim_change", args=[stuck.pk]))
    assert response.status == 404
    screenshot(alma, "other-store-404")


def test_the_claim_list_at_tablet_width(
    settings,
    new_context,
    live_server,
    store,
    make_complete_claim,
    media_server,
    api_to_sandbox,
    screenshot,
):
    manager_of(store, "bruno")
    claim = make_complete_claim()
    claim_submit(claim=claim, media_base_url=media_server)
    context = new_context(base_url=live_server.url, viewport={"width": 820, "height": 1180})
    page = context.new_page()
    admin_log_in(page, "bruno")

    page.goto(reverse("admin:kiosk_claim_changelist"))

    search = page.locator("#searchbar").bounding_box()
    content = page.locator("#changelist").bounding_box()
    assert search["width"] >= content["width"] * 0.6
    for column in ("claim_shown", "status_badge", "customer_shown", "submitted"):
        expect(page.locator(f"#result_list th.column-{column}")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    expect(page.locator("#result_list")).to_contain_text(re.compile(r"SB-\d{4}-\d{4}"))
    screenshot(page, "claims-at-820")


def test_a_manager_imports_a_catalog_file_after_its_preview(
    new_context, live_server, store, screenshot
):
    manager_of(store, "bruno")
    page = new_context(base_url=live_server.url, **DESK).new_page()
    admin_log_in(page, "bruno")
    page.goto(reverse("admin:kiosk_product_changelist"))
    page.get_by_role("link", name="Import catalog").click()

    page.set_input_files("#id_file", Path(__file__).parent.parent / "data" / "catalog" / BAD_ROWS)
    page.get_by_label("Our catalog CSV").check()
    page.get_by_label(store.name).check()
    page.get_by_test_id("catalog-preview").click()

    report = page.get_by_test_id("catalog-preview-report")
    expect(page.get_by_test_id("variants-created")).to_have_text("1")
    expect(page.get_by_test_id("rows-refused")).to_have_text("5")
    expect(page.get_by_test_id("refused-rows")).to_contain_text(
        "Row 3, column “barcode”: '5012345678901' is not a UPC or EAN barcode"
    )
    screenshot(page, "catalog-preview")
    assert not Variant.objects.exists()  # nothing saved by the preview

    report.get_by_test_id("catalog-confirm").click()

    expect(page.locator(".messagelist")).to_contain_text("Catalog imported. Variants: 1 created")
    expect(page.get_by_role("link", name="Desk Lamp")).to_be_visible()
    assert list(Variant.objects.values_list("sku", flat=True)) == ["DL-BLK"]
    screenshot(page, "catalog-imported")


def test_the_claim_page_leads_with_what_a_manager_decides_on(
    settings,
    new_context,
    live_server,
    store,
    make_complete_claim,
    api_to_sandbox,
    media_server,
    screenshot,
):
    store.time_zone = "America/Chicago"
    store.save()
    manager_of(store, "bruno")
    claim = make_complete_claim()
    claim.warranty_period = "P2Y"
    claim.ship_state, claim.ship_city, claim.ship_zip = "US-IL", "Springfield", "62701"
    claim.customer_phone = "+12175550100"
    claim.save()
    claim_submit(claim=claim, media_base_url=media_server)
    claim.refresh_from_db()
    page = new_context(base_url=live_server.url, **DESK).new_page()
    admin_log_in(page, "bruno")

    page.goto(reverse("admin:kiosk_claim_change", args=[claim.pk]))

    # Before: 8,680 px, the delivery internals first. Now what a manager decides on leads.
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"claim page height at 1280x900: {height} px")
    assert height < 2600
    summary = page.get_by_test_id("claim-summary")
    for words in (
        "Jane Doe",
        "+1 217-555-0100",
        "Springfield, Illinois 62701",
        "United States",
        "Defective item",
        "Refund",
        "2 years",
    ):
        expect(summary).to_contain_text(words)
    expect(summary.locator("img.audit-photo")).to_have_count(2)
    expect(summary.locator("img.audit-signature")).to_be_visible()
    submitted = summary.get_by_text(re.compile(r"\d{2}:\d{2}:\d{2} C[SD]T$"))
    expect(submitted).to_be_visible()
    record = page.get_by_role("heading", name="Delivery record", exact=True)
    assert summary.bounding_box()["y"] < record.bounding_box()["y"]
    # The delivery internals and the codes are folded away, there for an engineer.
    expect(page.get_by_text(str(claim.idempotency_key))).to_be_hidden()
    for text in ("P2Y", "US-IL", "NEW", "+12175550100"):
        expect(summary).not_to_contain_text(text)
    screenshot(page, "claim-page")
    page.get_by_role("heading", name="Sent and received").click()
    request_sent = page.locator(".field-request_json pre")
    expect(request_sent).to_be_visible()
    expect(request_sent).to_contain_text('"warrantyPeriod": "P2Y"')
    expect(request_sent).to_contain_text('"stateAbr": "IL"')

    # History is the claim's own timeline, in the store's time zone.
    page.get_by_role("link", name="History").click()
    history = page.get_by_test_id("history-timeline")
    expect(history).to_contain_text("Submitted — alex")
    expect(history).to_contain_text(f"filed as {claim.claim_number}")
    expect(history.locator("time").first).to_have_text(re.compile(r"\d{2}:\d{2}:\d{2} C[SD]T$"))
    screenshot(page, "history")


def test_the_claim_list_fits_1280_px_without_a_sideways_scroll(
    new_context, live_server, store, make_complete_claim, media_server, api_to_sandbox, screenshot
):
    # A manager of two stores: the widest list, with the store column.
    second = StoreFactory(name="Uptown", source_store_id="store_a")
    bruno = manager_of(store, "bruno")
    second.members.add(bruno)
    claim = make_complete_claim()
    claim.item_name = "Espresso machine with milk frother, brushed stainless steel"
    claim.customer_email = "jane.doe-longname@example-customer-domain.com"
    claim.save()
    claim_submit(claim=claim, media_base_url=media_server)
    page = new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800}).new_page()
    admin_log_in(page, "bruno")

    page.goto(reverse("admin:kiosk_claim_changelist"))

    for column in ("claim_shown", "status_badge", "store", "issue", "resolution", "submitted"):
        expect(page.locator(f"#result_list th.column-{column}")).to_be_visible()
    table = page.locator("#result_list").bounding_box()
    container = page.locator(".results").bounding_box()
    assert table["x"] + table["width"] <= container["x"] + container["width"]
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert (
        page.evaluate(
            "(() => { const r = document.querySelector('.results'); "
            "return r.scrollWidth - r.clientWidth; })()"
        )
        <= 0
    )
    screenshot(page, "claims-at-1280")
