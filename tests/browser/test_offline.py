"""The store's Wi-Fi drops: Chromium's offline switch (context.set_offline) on the tablet.

The portal, not the browser, answers; what is typed, photographed and signed is kept on
the tablet (encrypted, in the outbox) and sent once the connection is back, once.
"""

import datetime
import functools
import re
import time
from collections import Counter

import pytest
from django.http import HttpResponse
from playwright.sync_api import BrowserContext, Locator, Page, expect

from kiosk import urls as kiosk_urls
from kiosk.models import Claim, ClaimAttachment, Tablet
from kiosk.services.tablets import tablet_sign_out
from kiosk.steps import PAGES
from tests.browser.conftest import PIN, Photos, sign, sign_in_tablet, tap_pin
from tests.browser.test_claim_flow import CLAIMS_PATH

pytestmark = pytest.mark.django_db(transaction=True)
REFERENCE = re.compile(r"^R-[23456789A-HJ-NP-Z]{8}$")


def unlock(page: Page, manager) -> None:
    """Sign the tablet in, unlock it by PIN, and wait until it can work offline."""
    sign_in_tablet(page, manager)
    tap_pin(page, "Alex", PIN)
    expect(page.get_by_role("heading", name="File a warranty claim")).to_be_visible()
    wait_until_ready_offline(page)


def wait_until_ready_offline(page: Page, *, busy: bool = False) -> None:
    """The service worker controls the page and keeps the shells: one per page of a claim,
    the start screen's and the result's.

    `busy`: someone is at the tablet meanwhile (a key pressed), so that a short idle lock
    does not come first.
    """
    shells = """async () => {
        if (!navigator.serviceWorker.controller) return 0;
        return (await (await caches.open("kiosk-shells")).keys()).length;
    }"""
    worker = """navigator.serviceWorker.getRegistration().then((r) => (r
        ? [r.installing, r.waiting, r.active].map((w) => w && w.state).join("/") : "none")
        + (navigator.serviceWorker.controller ? ", controls the page" : ", no controller"))"""

    def ready() -> bool:
        if busy:
            page.keyboard.press("Shift")
        return page.evaluate(shells) == len(PAGES) + 2

    def describe() -> str:
        return f"{page.evaluate(shells)} shells; the worker: {page.evaluate(worker)}"

    # With three test passes at once, installing takes its time. The start screen asks
    # again for a shell it could not fetch; a page never controlled (seen on loaded
    # machines) is opened again, as a tablet's next page would be, and is controlled.
    try:
        wait_until(ready, timeout=30, describe=describe)
    except AssertionError as not_yet:
        print(f"Not ready offline after 30 s ({not_yet}); opening the start screen again")
        page.reload()
        wait_until(ready, timeout=60, describe=describe)


def wait_until(condition, timeout: float = 30.0, describe=lambda: "") -> None:
    """Until `condition()` holds; else fails with what `describe()` says of the moment."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not in time. {describe()}"
        time.sleep(0.2)


def outbox_contents(page: Page) -> str:
    """What waits in the page's outbox, for a failure's message."""
    return page.evaluate(
        """KioskOutbox.requests().then((all) => JSON.stringify(all.map((r) =>
            [r.reference, r.kind, r.step, r.state, r.message, r.attempts])))"""
    )


def waiting_requests(page: Page) -> int:
    return page.evaluate("KioskOutbox.requests().then((all) => all.length)")


def fill_customer(page: Page, first: str = "Jane") -> None:
    page.fill("#id_ship_first_name", first)
    page.fill("#id_ship_last_name", "Doe")
    page.fill("#id_customer_email", f"{first.lower()}.doe@example.com")
    page.fill("#id_customer_phone", "(212) 555-0100")


def next_step(page: Page, slug: str) -> None:
    page.get_by_test_id("next").click()
    expect(page).to_have_url(re.compile(rf"/steps/{slug}/$"))


def fill_item(page: Page, photos: Photos, *, name: str = "Espresso machine") -> Locator:
    """The item's name, price and photo; the photo's tiles (kept or uploaded)."""
    page.fill("#id_item_name", name)
    page.fill("#id_item_price", "249.99")
    page.set_input_files("#id_item_photos", photos.item)
    return page.get_by_test_id("attachments-item").locator(".attachment")


def fill_warranty(page: Page, photos: Photos, *, kept: bool) -> datetime.date:
    """The issue, the resolution, a purchase 40 days ago and a receipt photo, once its tile
    shows (kept on the tablet, or uploaded); returns the purchase date."""
    page.click("label[for=id_issue_type_0]")
    page.click("label[for=id_resolution_1]")
    purchased = datetime.date.today() - datetime.timedelta(days=40)
    page.fill("#id_date_of_purchase", f"{purchased:%Y-%m-%d}")
    page.set_input_files("#id_receipt_photos", photos.receipt)
    tile = ".attachment.kept" if kept else "img"
    expect(page.get_by_test_id("attachments-receipt").locator(tile)).to_have_count(1)
    return purchased


def fill_address(page: Page) -> None:
    page.fill("#id_ship_address1", "123 Main St")
    page.fill("#id_ship_city", "New York")
    page.fill("#id_ship_zip", "10001")
    page.select_option("#id_ship_state", "US-NY")


def test_a_whole_claim_done_offline_is_filed_once_when_the_connection_is_back(
    api_to_sandbox,
    tablet_context: BrowserContext,
    tablet: Page,
    manager,
    associate,
    pins,
    photos: Photos,
    screenshot,
):
    sandbox = api_to_sandbox
    page = tablet
    unlock(page, manager)
    tablet_context.set_offline(True)

    fill_customer(page)
    page.get_by_role("button", name="Start a new claim").click()
    expect(page).to_have_url(re.compile(r"/claims/R-\w{8}/steps/item/$"))
    reference = page.get_by_test_id("claim-reference").inner_text()
    assert REFERENCE.match(reference)
    expect(page.get_by_test_id("save-indicator")).to_contain_text("Kept on this tablet")
    screenshot(page, "item-offline")

    expect(fill_item(page, photos)).to_contain_text("Kept on this tablet")
    purchased = fill_warranty(page, photos, kept=True)
    next_step(page, "address")

    page.fill("#id_ship_first_name", "Jane")
    page.fill("#id_ship_last_name", "Doe")
    fill_address(page)
    next_step(page, "review")
    # Back and on again: what was typed offline is still there.
    page.locator("button[name=goto][value=address]").click()
    expect(page.locator("#id_ship_zip")).to_have_value("10001")
    expect(page.locator("#id_ship_state")).to_have_value("US-NY")
    page.locator("button[name=goto][value=item]").click()
    expect(page.locator("#id_issue_type_0")).to_be_checked()
    expect(page.locator("#id_date_of_purchase")).to_have_value(f"{purchased:%Y-%m-%d}")
    next_step(page, "address")
    next_step(page, "review")
    review = page.get_by_test_id("review")
    for text in ("jane.doe@example.com", "Espresso machine", "$249.99", "123 Main St", "10001"):
        expect(review).to_contain_text(text)
    # Spelled out as the online review does (kiosk.dates.long_date), not as typed.
    expect(review).to_contain_text(f"{purchased:%B} {purchased.day}, {purchased.year}")
    expect(review).not_to_contain_text(f"{purchased:%Y-%m-%d}")
    # The photos waiting on the tablet, shown to the customer with the rest.
    expect(review.get_by_role("img", name="Item photo (kept on this tablet)")).to_be_visible()
    expect(review.get_by_role("img", name="Receipt photo (kept on this tablet)")).to_be_visible()
    sign(page)
    screenshot(page, "review-offline")
    page.get_by_test_id("submit-claim").click()

    expect(page).to_have_url(re.compile(rf"/claims/{reference}/result/$"))
    expect(page.get_by_test_id("claim-kept")).to_be_visible()
    expect(page.get_by_test_id("claim-reference")).to_have_text(reference)
    expect(page.get_by_test_id("outbox-indicator")).to_have_text("1 claim waiting to send")
    screenshot(page, "result-offline")
    assert not Claim.objects.exists()
    assert not sandbox.received

    tablet_context.set_offline(False)
    wait_until(lambda: Claim.objects.filter(status=Claim.Status.FILED).exists())
    expect(page.get_by_test_id("outbox-indicator")).to_be_hidden()
    assert waiting_requests(page) == 0

    claim = Claim.objects.get()
    assert claim.reference == reference
    assert claim.created_by == associate
    assert claim.customer_email == "jane.doe@example.com"
    assert claim.ship_zip == "10001"
    kinds = sorted(claim.attachments.current().values_list("kind", flat=True))
    assert kinds == ["item", "receipt", "signature"]
    filed = [r for r in sandbox.received if r.path.startswith(CLAIMS_PATH)]
    assert len(filed) == 1
    body = filed[0].body_json
    assert body["customer"]["email"] == "jane.doe@example.com"
    # The sandbox fetched the photos and the signature, as the portal stored them.
    stored = {a.kind: a.sha256 for a in ClaimAttachment.objects.filter(claim=claim)}
    assert filed[0].fetched_images[body["item"]["images"][0]] == stored["item"]
    assert filed[0].fetched_images[body["warranty"]["receiptImages"][0]] == stored["receipt"]
    assert filed[0].fetched_images[body["signature"]] == stored["signature"]


def test_a_shell_the_tablet_could_not_keep_is_fetched_again_while_the_start_screen_is_open(
    tablet: Page, manager, associate, pins
):
    page = tablet
    unlock(page, manager)
    dropped = page.evaluate(
        """async () => {
            const cache = await caches.open("kiosk-shells");
            const [first] = await cache.keys();
            await cache.delete(first);
            return first.url;
        }"""
    )
    kept = """async (url) => Boolean(await (await caches.open("kiosk-shells")).match(url))"""
    assert page.evaluate(kept, dropped) is False

    # Asked for again within SHELLS_RETRY_MS (10 s), without a reload.
    wait_until(lambda: page.evaluate(kept, dropped), timeout=30)
    assert (
        page.evaluate("""async () => (await (await caches.open("kiosk-shells")).keys()).length""")
        == len(PAGES) + 2
    )


# -- The four moments the Wi-Fi dropped at, as the table has them ---------------------


def started_online(page: Page, photos: Photos, *, until: str) -> str:
    """A claim started and filled in online, its reference. `until`: "item" stops on the
    item's page before anything is typed there; "warranty" on that page with the item, the
    issue and the date of purchase, but no receipt; "address" and "review" on those pages.
    """
    fill_customer(page)
    page.get_by_role("button", name="Start a new claim").click()
    expect(page).to_have_url(re.compile(r"/steps/item/$"))
    reference = page.get_by_test_id("claim-reference").inner_text()
    if until == "item":
        return reference
    expect(fill_item(page, photos).locator("img")).to_have_count(1)
    page.click("label[for=id_issue_type_0]")
    page.click("label[for=id_resolution_1]")
    purchased = datetime.date.today() - datetime.timedelta(days=40)
    page.fill("#id_date_of_purchase", f"{purchased:%Y-%m-%d}")
    if until == "warranty":
        return reference
    page.set_input_files("#id_receipt_photos", photos.receipt)
    expect(page.get_by_test_id("attachments-receipt").locator("img")).to_have_count(1)
    next_step(page, "address")
    if until == "address":
        return reference
    fill_address(page)
    next_step(page, "review")
    return reference


def no_browser_error_page(page: Page) -> None:
    assert "ERR_INTERNET_DISCONNECTED" not in page.content()
    expect(page.get_by_role("link", name="Store Claims")).to_be_visible()


def test_a_receipt_photo_picked_offline_is_kept_then_uploaded_by_itself(
    tablet_context: BrowserContext,
    tablet: Page,
    manager,
    associate,
    pins,
    photos: Photos,
    screenshot,
):
    page = tablet
    unlock(page, manager)
    reference = started_online(page, photos, until="warranty")
    page.fill(
        "#id_date_of_purchase", f"{datetime.date.today() - datetime.timedelta(days=9):%Y-%m-%d}"
    )
    expect(page.get_by_test_id("save-indicator")).to_have_text("Saved")
    tablet_context.set_offline(True)

    page.set_input_files("#id_receipt_photos", photos.receipt)

    tile = page.get_by_test_id("attachments-receipt").locator(".attachment.kept")
    expect(tile).to_contain_text("Kept on this tablet: uploads when the connection is back")
    expect(tile.get_by_role("button", name="Try again")).to_have_count(0)
    # A second one, picked by mistake and removed while still kept: it never arrives.
    page.set_input_files("#id_receipt_photos", photos.item)
    expect(tile).to_have_count(2)
    tile.nth(1).get_by_role("button", name="Remove").click()
    expect(tile).to_have_count(1)
    expect(page.get_by_test_id("outbox-indicator")).to_have_text("1 claim waiting to send")
    screenshot(page, "receipt-kept")
    claim = Claim.objects.get(reference=reference)
    assert not claim.attachments.filter(kind="receipt").exists()

    tablet_context.set_offline(False)
    wait_until(lambda: claim.attachments.filter(kind="receipt").exists())
    expect(page.get_by_test_id("outbox-indicator")).to_be_hidden()
    next_step(page, "address")  # online again: the server's page, which knows the photo
    page.get_by_role("button", name="← Item").click()
    expect(page.get_by_test_id("attachments-receipt").locator("img")).to_have_count(1)
    assert claim.attachments.current().filter(kind="receipt").count() == 1
    assert claim.attachments.get(kind="receipt").width == 300  # the receipt, not the item


def test_next_offline_shows_the_portals_next_step_and_back_goes_one_step_back(
    tablet_context: BrowserContext,
    tablet: Page,
    manager,
    associate,
    pins,
    photos: Photos,
    screenshot,
):
    page = tablet
    unlock(page, manager)
    reference = started_online(page, photos, until="item")
    expect(fill_item(page, photos).locator("img")).to_have_count(1)
    expect(page.get_by_test_id("save-indicator")).to_have_text("Saved")
    tablet_context.set_offline(True)
    page.fill("#id_item_sku", "SKU-OFFLINE")

    next_step(page, "address")

    no_browser_error_page(page)
    expect(page.get_by_role("heading", name="Shipping address")).to_be_visible()
    expect(page.get_by_test_id("claim-reference")).to_have_text(reference)
    expect(page.get_by_test_id("save-indicator")).to_have_text(
        "Kept on this tablet: sends when the connection is back"
    )
    screenshot(page, "next-offline")
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/claims/{reference}/steps/item/$"))
    no_browser_error_page(page)
    expect(page.locator("#id_item_sku")).to_have_value("SKU-OFFLINE")

    tablet_context.set_offline(False)
    wait_until(lambda: Claim.objects.get(reference=reference).item_sku == "SKU-OFFLINE")
    expect(page.get_by_test_id("outbox-indicator")).to_be_hidden()


def test_the_zip_and_state_typed_offline_are_kept_through_next_and_back(
    tablet_context: BrowserContext,
    tablet: Page,
    manager,
    associate,
    pins,
    photos: Photos,
    screenshot,
):
    page = tablet
    unlock(page, manager)
    reference = started_online(page, photos, until="address")
    page.fill("#id_ship_address1", "500 Market St")
    page.fill("#id_ship_city", "San Francisco")
    expect(page.get_by_test_id("save-indicator")).to_have_text("Saved")
    tablet_context.set_offline(True)

    page.fill("#id_ship_zip", "94105")
    page.select_option("#id_ship_state", "US-CA")
    expect(page.get_by_test_id("save-indicator")).to_have_text(
        "Kept on this tablet: sends when the connection is back"
    )
    next_step(page, "review")
    no_browser_error_page(page)
    page.locator("button[name=goto][value=address]").click()

    expect(page.locator("#id_ship_zip")).to_have_value("94105")
    expect(page.locator("#id_ship_state")).to_have_value("US-CA")
    expect(page.locator("#id_ship_city")).to_have_value("San Francisco")
    screenshot(page, "address-back-offline")
    tablet_context.set_offline(False)
    wait_until(lambda: Claim.objects.get(reference=reference).ship_zip == "94105")
    claim = Claim.objects.get(reference=reference)
    assert (claim.ship_state, claim.ship_city) == ("US-CA", "San Francisco")


def test_a_claim_signed_and_submitted_offline_keeps_the_signature_and_is_filed_once(
    api_to_sandbox,
    tablet_context: BrowserContext,
    tablet: Page,
    manager,
    associate,
    pins,
    photos: Photos,
    screenshot,
):
    sandbox = api_to_sandbox
    page = tablet
    unlock(page, manager)
    reference = started_online(page, photos, until="review")
    tablet_context.set_offline(True)
    sign(page)

    page.get_by_test_id("submit-claim").click()

    expect(page).to_have_url(re.compile(rf"/claims/{reference}/result/$"))
    no_browser_error_page(page)
    expect(page.get_by_test_id("claim-kept")).to_be_visible()
    expect(page.get_by_test_id("claim-reference")).to_have_text(reference)
    screenshot(page, "submitted-offline")
    tablet_context.set_offline(False)
    wait_until(lambda: Claim.objects.get(reference=reference).status == Claim.Status.FILED)
    claim = Claim.objects.get(reference=reference)
    assert claim.attachments.current().filter(kind="signature").count() == 1
    filed = [r for r in sandbox.received if r.path.startswith(CLAIMS_PATH)]
    assert len(filed) == 1
    assert filed[0].body_json["signature"]


# -- Ten drops in a row ------------------------------------------------------------------------


def file_offline(page: Page, photos: Photos, email: str, *, reload_at_warranty: bool) -> str:
    """A whole claim filed from the start screen while offline; its reference."""
    page.goto("/")
    page.fill("#id_ship_first_name", "Dana")
    page.fill("#id_ship_last_name", "Lee")
    page.fill("#id_customer_email", email)
    page.fill("#id_customer_phone", "(212) 555-0100")
    page.get_by_role("button", name="Start a new claim").click()
    expect(page).to_have_url(re.compile(r"/steps/item/$"))
    reference = page.get_by_test_id("claim-reference").inner_text()
    expect(fill_item(page, photos, name="Kettle").and_(page.locator(".kept"))).to_have_count(1)
    page.click("label[for=id_issue_type_0]")
    page.click("label[for=id_resolution_1]")
    page.fill("#id_date_of_purchase", f"{datetime.date.today() - datetime.timedelta(days=5):%F}")
    page.set_input_files("#id_receipt_photos", photos.receipt)
    kept = page.get_by_test_id("attachments-receipt").locator(".attachment.kept")
    expect(kept).to_have_count(1)
    if reload_at_warranty:
        page.reload()
        expect(kept).to_have_count(1)
        page.fill(
            "#id_date_of_purchase", f"{datetime.date.today() - datetime.timedelta(days=5):%F}"
        )
    next_step(page, "address")
    expect(page.locator("#id_ship_first_name")).to_have_value("Dana")  # from the customer
    page.fill("#id_ship_address1", "1 Elm St")
    page.fill("#id_ship_city", "Albany")
    page.fill("#id_ship_zip", "12207")
    page.select_option("#id_ship_state", "US-NY")
    next_step(page, "review")
    sign(page)
    page.get_by_test_id("submit-claim").click()
    expect(page.get_by_test_id("claim-kept")).to_be_visible()
    return reference


def test_ten_drops_with_failing_answers_reloads_and_two_tabs_lose_nothing_and_file_once(
    api_to_sandbox,
    tablet_context: BrowserContext,
    tablet: Page,
    manager,
    associate,
    pins,
    photos: Photos,
    monkeypatch,
):
    sandbox = api_to_sandbox
    unlock(tablet, manager)
    tabs = [tablet, tablet_context.new_page()]
    tabs[1].goto("/")
    items: list[str] = []  # the outbox's items, by their ids, as they first arrived
    arrivals: Counter[str] = Counter()
    failed: list[str] = []
    outbox_url = next(url for url in kiosk_urls.urlpatterns if url.name == "outbox")
    outbox_view = outbox_url.callback

    @functools.wraps(outbox_view)  # CSRF-exempt and open to a locked tablet, as it is
    def flaky(request, *args, **kwargs):
        """The first time it arrives, every third item fails before it is done, and every
        fifth is done but its answer is lost: the tablet must send it again, and it must
        count once."""
        if request.POST.get("kind") == "status":  # only says that nothing waits
            return outbox_view(request, *args, **kwargs)
        item = request.POST.get("id", "")
        arrivals[item] += 1
        if arrivals[item] == 1:
            items.append(item)
        if arrivals[item] == 1 and len(items) % 3 == 0:
            failed.append(item)
            return HttpResponse("Internal Server Error", status=500)
        answer = outbox_view(request, *args, **kwargs)
        if arrivals[item] == 1 and len(items) % 5 == 0:
            failed.append(item)
            return HttpResponse("Bad Gateway", status=502)
        return answer

    monkeypatch.setattr(outbox_url, "callback", flaky)
    made = []
    for cycle in range(10):
        tablet_context.set_offline(True)
        page = tabs[cycle % 2]
        page.bring_to_front()  # a tab behind is throttled, as on a real tablet
        made.append(
            file_offline(
                page, photos, f"dana{cycle}@example.com", reload_at_warranty=cycle % 3 == 0
            )
        )
        tablet_context.set_offline(False)
        if cycle % 2:
            time.sleep(1)  # back offline while the outbox is halfway through
        else:
            wait_until(
                lambda: waiting_requests(tabs[0]) == 0,
                timeout=60,
                describe=lambda: outbox_contents(tabs[0]),
            )

    wait_until(
        lambda: waiting_requests(tabs[0]) == 0,
        timeout=90,
        describe=lambda: outbox_contents(tabs[0]),
    )
    wait_until(
        lambda: Claim.objects.filter(status=Claim.Status.FILED).count() == 10,
        timeout=60,
        describe=lambda: (
            str(list(Claim.objects.values_list("reference", "status", "completed_steps")))
            + tabs[0].evaluate("KioskOutbox.notices().then(JSON.stringify)")
        ),
    )
    # Each claim: start, 3 saves or more (Next on two pages, the signature), 2 photos,
    # submit; each failure sent again.
    assert len(items) >= 10 * 7
    assert len(failed) >= len(items) // 3
    assert all(arrivals[item] >= 2 for item in failed)
    claims = Claim.objects.all()
    assert sorted(claims.values_list("reference", flat=True)) == sorted(made)
    assert sorted(claims.values_list("customer_email", flat=True)) == sorted(
        f"dana{cycle}@example.com" for cycle in range(10)
    )
    for claim in claims:
        kinds = sorted(claim.attachments.current().values_list("kind", flat=True))
        assert kinds == ["item", "receipt", "signature"], claim.reference
        assert claim.ship_zip == "12207"
    filed = [r for r in sandbox.received if r.path.startswith(CLAIMS_PATH)]
    numbers = [r.response_body["payload"]["sourceOrderId"] for r in filed]
    assert len(filed) == 10
    assert sorted(numbers) == sorted(claims.values_list("claim_number", flat=True))


def test_claims_waiting_on_a_tablet_signed_out_go_out_once_it_is_signed_in_and_unlocked_again(
    tablet_context: BrowserContext, tablet: Page, manager, associate, pins
):
    page = tablet
    unlock(page, manager)
    tablet_context.set_offline(True)
    fill_customer(page, first="Robin")
    page.get_by_role("button", name="Start a new claim").click()
    expect(page).to_have_url(re.compile(r"/steps/item/$"))
    reference = page.get_by_test_id("claim-reference").inner_text()
    tablet_sign_out(tablet=Tablet.objects.get(), by=manager)  # as the desk's override does

    tablet_context.set_offline(False)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert not Claim.objects.exists()

    sign_in_tablet(page, manager)
    # Signed in again: the old sign-in's token is refused, the claim still waits.
    expect(page.get_by_test_id("outbox-indicator")).to_have_text("1 claim waiting to send")
    time.sleep(4)  # a replay or more, refused
    assert not Claim.objects.exists()
    tap_pin(page, "Alex", PIN)
    wait_until(lambda: waiting_requests(page) == 0)
    claim = Claim.objects.get()
    assert claim.reference == reference
    assert (claim.customer_email, claim.created_by) == ("robin.doe@example.com", associate)
    expect(page.get_by_test_id("outbox-indicator")).to_be_hidden()
