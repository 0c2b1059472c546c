"""The shared tablet in a browser: signed in by a manager, unlocked by PIN, locked when idle."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from kiosk.models import Claim
from tests.browser.conftest import PIN, sign_in_tablet, tap_pin
from tests.factories import ClaimFactory
from tests.images import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_signs_the_tablet_in_and_an_associate_unlocks_it_by_pin(
    tablet: Page, manager, associate, store, pins, screenshot
):
    sign_in_tablet(tablet, manager)
    screenshot(tablet, "locked")
    tablet.get_by_role("link", name="Alex").click()
    expect(tablet.locator("[data-pin-pad]")).to_be_visible()
    screenshot(tablet, "pin-pad")
    for digit in PIN:
        tablet.locator(f"[data-digit='{digit}']").click()  # it unlocks at the last one

    expect(tablet.get_by_role("heading", name="File a warranty claim")).to_be_visible()
    expect(tablet.get_by_role("navigation")).to_contain_text("Alex")
    expect(tablet.get_by_test_id("lock")).to_be_visible()
    screenshot(tablet, "unlocked")
    tablet.get_by_role("button", name="Start a new claim").click()
    expect(tablet.get_by_test_id("claim-reference")).to_be_visible()
    assert Claim.objects.get().created_by == associate


def test_wrong_pins_until_the_lockout(tablet: Page, manager, associate, pins, settings, screenshot):
    settings.KIOSK_PIN_FAILURE_LIMIT = 3
    settings.KIOSK_PIN_COOLOFF = timedelta(minutes=15)
    sign_in_tablet(tablet, manager)
    for _ in range(2):
        tap_pin(tablet, "Alex", "0000")
        expect(tablet.get_by_role("alert")).to_contain_text("That PIN is not right")
        tablet.get_by_role("link", name="Not you?").click()

    tap_pin(tablet, "Alex", "0000")

    expect(tablet.get_by_test_id("locked-out")).to_contain_text("locked for 15 minutes")
    screenshot(tablet, "locked-out")
    tablet.get_by_role("link", name="Back").click()
    tap_pin(tablet, "Alex", PIN)
    expect(tablet.get_by_test_id("locked-out")).to_be_visible()  # the right PIN waits too


def test_the_idle_reset_clears_the_page_and_storage_then_the_draft_resumes(
    tablet: Page, manager, associate, pins, settings, screenshot
):
    settings.KIOSK_IDLE_SECONDS = 2
    settings.KIOSK_IDLE_WARNING_SECONDS = 3
    sign_in_tablet(tablet, manager)
    tap_pin(tablet, "Alex", PIN)
    tablet.get_by_role("button", name="Start a new claim").click()
    expect(tablet.get_by_test_id("claim-reference")).to_be_visible()
    tablet.fill("#id_customer_email", "dana@example.com")
    tablet.evaluate(
        "sessionStorage.setItem('typed', 'dana'); localStorage.setItem('typed', 'dana')"
    )

    expect(tablet.get_by_role("alertdialog")).to_contain_text("Still there?")
    screenshot(tablet, "countdown")
    # What really happens: the tablet locks, the claim is kept; nothing of it shows behind.
    expect(tablet.get_by_role("alertdialog")).to_contain_text("Claims in progress are kept")
    expect(tablet.get_by_role("alertdialog")).not_to_contain_text("cleared")
    expect(tablet.locator("#id_customer_email")).to_be_hidden()
    assert tablet.evaluate("document.querySelector('main').inert")
    expect(tablet.get_by_role("heading", name="Who is at the counter?")).to_be_visible()

    screenshot(tablet, "locked-again")
    assert tablet.evaluate("sessionStorage.length + localStorage.length") == 0
    assert "dana@example.com" not in tablet.content()
    tablet.go_back()
    expect(tablet).to_have_url(re.compile(r"/tablet/unlock/$"))
    assert "dana@example.com" not in tablet.content()

    tap_pin(tablet, "Alex", PIN)
    tablet.get_by_test_id("open-claim").get_by_role("link").first.click()
    # Saved before the page was cleared.
    expect(tablet.locator("#id_customer_email")).to_have_value("dana@example.com")
    assert Claim.objects.get().status == Claim.Status.DRAFT


def test_still_here_keeps_the_associate_at_work(tablet: Page, manager, associate, pins, settings):
    settings.KIOSK_IDLE_SECONDS = 2
    settings.KIOSK_IDLE_WARNING_SECONDS = 3
    sign_in_tablet(tablet, manager)
    tap_pin(tablet, "Alex", PIN)

    tablet.get_by_role("button", name="I'm still here").click()

    expect(tablet.get_by_role("alertdialog")).to_have_count(0)
    expect(tablet.get_by_role("heading", name="File a warranty claim")).to_be_visible()
    assert not tablet.evaluate("document.querySelector('main').inert")


def test_a_tablet_left_on_the_result_page_of_a_claim_on_its_way_locks_on_time(
    tablet: Page, manager, associate, store, pins, settings, screenshot
):
    settings.KIOSK_IDLE_SECONDS = 3
    settings.KIOSK_IDLE_WARNING_SECONDS = 2
    settings.KIOSK_RESULT_REFRESH_SECONDS = 1
    claim = ClaimFactory(
        store=store,
        created_by=associate,
        status=Claim.Status.QUEUED,
        customer_email="dana@example.com",
    )
    sign_in_tablet(tablet, manager)
    tap_pin(tablet, "Alex", PIN)
    expect(tablet.get_by_role("heading", name="File a warranty claim")).to_be_visible()
    result_loads = []
    tablet.on(
        "load",
        lambda page: result_loads.append(page.url) if "/result/" in page.url else None,
    )
    tablet.goto(f"/claims/{claim.reference}/result/")
    expect(tablet.get_by_test_id("claim-queued")).to_be_visible()

    # No touch from here on, while the page reloads every second for the claim number.
    expect(tablet.get_by_role("heading", name="Who is at the counter?")).to_be_visible(
        timeout=20_000
    )

    screenshot(tablet, "locked")
    assert len(result_loads) >= 3  # it did reload meanwhile
    assert "dana@example.com" not in tablet.content()
    tablet.go_back()
    assert "dana@example.com" not in tablet.content()


def test_the_pages_background_requests_are_marked_automatic(
    associate_tablet: Page, associate, store, tmp_path
):
    page = associate_tablet
    draft = ClaimFactory(store=store, created_by=associate, status=Claim.Status.DRAFT)
    photo = tmp_path / "item.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(640, 480)))
    page.goto(f"/claims/{draft.reference}/steps/item/")
    sent = []

    with page.expect_request(lambda r: r.method == "POST" and "/steps/item/" in r.url) as save:
        page.fill("#id_item_name", "Kettle")
    sent.append(save.value)
    with page.expect_request(re.compile(r"/photos/$")) as upload:
        page.set_input_files("#id_item_photos", photo)
    sent.append(upload.value)
    page.goto(f"/claims/{draft.reference}/steps/warranty/")
    with page.expect_request(re.compile(r"/coverage/\?")) as lookup:
        page.fill("#id_date_of_purchase", "2026-01-02")
        page.locator("#id_date_of_purchase").dispatch_event("change")
    sent.append(lookup.value)

    # None of them is someone at the tablet: the idle lock does not count them.
    assert [request.headers.get("x-kiosk-automatic") for request in sent] == ["1", "1", "1"]
