"""The tablet offline, the shared device's traps: the idle lock while claims wait, a
browser restart while claims wait, and one claim open in two tabs.

What waits on the tablet is encrypted (static/kiosk/outbox-store.js), names nobody on the
PIN pad, survives the browser, and is filed once.
"""

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from kiosk.models import Claim, ClaimAttachment
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PIN,
    TABLET,
    Photos,
    sign,
    sign_in_tablet,
    tap_pin,
)
from tests.browser.test_claim_flow import CLAIMS_PATH
from tests.browser.test_offline import (
    fill_address,
    fill_customer,
    fill_item,
    fill_warranty,
    next_step,
    unlock,
    wait_until,
    wait_until_ready_offline,
    waiting_requests,
)

pytestmark = pytest.mark.django_db(transaction=True)

# The outbox's IndexedDB as stored, read without KioskOutbox (which would decrypt it):
# each record's plain strings, and whether its sealed parts are bytes.
RAW_OUTBOX = """async () => {
    const db = await new Promise((resolve, reject) => {
        const opening = indexedDB.open("kiosk-outbox");
        opening.onsuccess = () => resolve(opening.result);
        opening.onerror = () => reject(opening.error);
    });
    const all = (store) => new Promise((resolve, reject) => {
        const reading = db.transaction(store).objectStore(store).getAll();
        reading.onsuccess = () => resolve(reading.result);
        reading.onerror = () => reject(reading.error);
    });
    const strings = (value, found = []) => {
        if (typeof value === "string") found.push(value);
        else if (value && typeof value === "object" && !(value instanceof ArrayBuffer)
                 && !ArrayBuffer.isView(value) && !(value instanceof CryptoKey)) {
            for (const inner of Object.values(value)) strings(inner, found);
        }
        return found;
    };
    const latin1 = (buffer) =>
        Array.from(new Uint8Array(buffer), (b) => String.fromCharCode(b)).join("");
    const photos = new Map((await all("photos")).map((photo) => [photo.id, photo]));
    const requests = (await all("requests")).map((request) => {
        const photo = photos.get(request.id);
        return {
            kind: request.kind,
            strings: strings(request).concat(photo ? strings(photo) : []),
            sealedIsBytes: request.sealed.data instanceof ArrayBuffer,
            sealedBytes: request.sealed.data instanceof ArrayBuffer
                ? latin1(request.sealed.data) : "",
            photoIsBytes: photo ? photo.sealed.data instanceof ArrayBuffer : null,
            photoHead: photo && photo.sealed.data instanceof ArrayBuffer
                ? Array.from(new Uint8Array(photo.sealed.data).slice(0, 3)) : null,
        };
    });
    const keys = (await all("keys")).map((entry) => ({
        name: entry.name,
        strings: strings(entry),
        extractable: entry.key ? entry.key.extractable : null,
    }));
    db.close();
    return { requests, keys };
}"""


def test_the_idle_lock_while_a_claim_waits_shows_nothing_and_the_claim_still_goes_out(
    tablet_context: BrowserContext,
    tablet: Page,
    manager,
    associate,
    pins,
    photos: Photos,
    settings,
    screenshot,
):
    # Set before the unlock: the shells the tablet keeps for offline are rendered with it.
    settings.KIOSK_IDLE_SECONDS = 2
    settings.KIOSK_IDLE_WARNING_SECONDS = 3
    page = tablet
    sign_in_tablet(page, manager)
    tap_pin(page, "Alex", PIN)
    expect(page.get_by_role("heading", name="File a warranty claim")).to_be_visible()
    wait_until_ready_offline(page, busy=True)
    tablet_context.set_offline(True)

    fill_customer(page, "Dana")
    page.get_by_role("button", name="Start a new claim").click()
    expect(page).to_have_url(re.compile(r"/claims/R-\w{8}/steps/item/$"))
    expect(fill_item(page, photos)).to_contain_text("Kept on this tablet")
    next_step(page, "address")
    page.evaluate("sessionStorage.setItem('typed', 'dana'); localStorage.setItem('typed', 'dana')")
    assert {r["kind"] for r in page.evaluate(RAW_OUTBOX)["requests"]} == {
        "start",
        "save",
        "photo",
    }

    # Nobody touches the tablet.
    expect(page.get_by_role("alertdialog")).to_contain_text("Still there?")
    screenshot(page, "countdown-offline")
    expect(page).to_have_url(re.compile(r"/tablet/unlock/$"), timeout=15_000)
    # Offline, the service worker answers the PIN pad's address with the offline page.
    expect(page.get_by_test_id("offline-page")).to_be_visible()
    expect(page.get_by_test_id("outbox-indicator")).to_have_text("1 claim waiting to send")
    screenshot(page, "locked-offline")

    html = page.content()
    for personal in ("Dana", "dana.doe@example.com", "Espresso machine", "249.99"):
        assert personal not in html
    assert "data-outbox-token" not in html
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0
    assert page.evaluate("caches.has('kiosk-shells')") is False
    stored = page.evaluate(RAW_OUTBOX)
    # Who unlocked is forgotten; the key stays, and cannot be read out.
    assert [(key["name"], key["extractable"]) for key in stored["keys"]] == [("outbox", False)]
    kinds = Counter(request["kind"] for request in stored["requests"])
    # One start and one photo; the steps' saves, one per step at least (the autosave may
    # also save the open step again before the lock, depending on when it fires).
    assert (kinds["start"], kinds["photo"]) == (1, 1)
    assert kinds["save"] >= 2
    assert set(kinds) == {"start", "save", "photo"}
    for request in stored["requests"]:
        assert request["sealedIsBytes"] is True
        plain = " ".join(request["strings"]) + request["sealedBytes"]
        for personal in ("Dana", "dana.doe@example.com", "Espresso machine", "249.99"):
            assert personal not in plain
    [photo] = [request for request in stored["requests"] if request["kind"] == "photo"]
    assert photo["photoIsBytes"] is True
    assert photo["photoHead"] != [0xFF, 0xD8, 0xFF]  # not the JPEG as it was
    assert not Claim.objects.exists()

    # The connection comes back while the tablet is locked: nobody unlocks it.
    tablet_context.set_offline(False)
    wait_until(
        lambda: Claim.objects.filter(
            customer_email="dana.doe@example.com",
            attachments__kind=ClaimAttachment.Kind.ITEM,
        ).exists()
    )
    expect(page.get_by_role("heading", name="Who is at the counter?")).to_be_visible()
    expect(page.get_by_test_id("outbox-indicator")).to_be_hidden()
    assert waiting_requests(page) == 0
    screenshot(page, "locked-online-sent")
    html = page.content()
    for personal in ("Dana", "dana.doe@example.com", "Espresso machine"):
        assert personal not in html

    claim = Claim.objects.get()
    assert claim.created_by == associate
    assert claim.status == Claim.Status.DRAFT
    assert (claim.ship_first_name, claim.item_name) == ("Dana", "Espresso machine")
    [item] = claim.attachments.current().filter(kind=ClaimAttachment.Kind.ITEM)
    assert (item.width, item.height) == (640, 480)  # the photo picked offline


@pytest.fixture
def persistent_tablet(playwright: Playwright, live_server, settings, tmp_path: Path):
    """Opens Chromium on one profile directory, as a tablet's browser would, again and
    again; records the Content-Security-Policy violations its pages report (the autouse
    fixture of the conftest only sees Browser.new_context)."""
    settings.PUBLIC_MEDIA_BASE_URL = live_server.url  # the sandbox fetches photos from it
    profile = tmp_path / "tablet-profile"
    opened: list[BrowserContext] = []
    violations: list[str] = []

    def launch() -> BrowserContext:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            base_url=live_server.url,
            **TABLET,
        )
        context.set_default_timeout(10_000)
        context.on(
            "console",
            lambda message: (
                violations.append(f"{message.text} ({message.location.get('url')})")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        opened.append(context)
        return context

    yield launch
    for context in opened:
        context.close()  # again for a closed one does nothing
    assert violations == []


def page_of(context: BrowserContext) -> Page:
    return context.pages[0] if context.pages else context.new_page()


def test_a_claim_waiting_when_the_browser_closes_is_filed_once_after_it_opens_again(
    api_to_sandbox,
    persistent_tablet,
    manager,
    associate,
    pins,
    photos: Photos,
    screenshot,
):
    sandbox = api_to_sandbox
    context = persistent_tablet()
    page = page_of(context)
    unlock(page, manager)
    context.set_offline(True)

    fill_customer(page)
    page.get_by_role("button", name="Start a new claim").click()
    expect(page).to_have_url(re.compile(r"/claims/R-\w{8}/steps/item/$"))
    reference = page.get_by_test_id("claim-reference").inner_text()
    expect(fill_item(page, photos)).to_contain_text("Kept on this tablet")
    fill_warranty(page, photos, kept=True)
    next_step(page, "address")
    page.fill("#id_ship_first_name", "Jane")
    page.fill("#id_ship_last_name", "Doe")
    fill_address(page)
    next_step(page, "review")
    sign(page)
    page.get_by_test_id("submit-claim").click()
    expect(page).to_have_url(re.compile(rf"/claims/{reference}/result/$"))
    expect(page.get_by_test_id("claim-kept")).to_be_visible()
    expect(page.get_by_test_id("outbox-indicator")).to_have_text("1 claim waiting to send")
    kept = waiting_requests(page)
    screenshot(page, "kept-before-the-browser-closes")

    context.close()  # still offline
    assert not Claim.objects.exists()
    assert not sandbox.received

    context = persistent_tablet()
    page = page_of(context)
    page.goto("/")
    screenshot(page, "opened-again")
    wait_until(lambda: Claim.objects.filter(status=Claim.Status.FILED).exists())
    expect(page.get_by_test_id("outbox-indicator")).to_be_hidden()
    assert waiting_requests(page) == 0
    screenshot(page, "sent-after-the-restart")
    page.reload()  # the list of drafts was rendered before the claim was filed
    expect(page.get_by_test_id("open-claim")).to_have_count(0)

    assert kept >= 8  # start, 5 saves, 2 photos, the signature and the submit, at least
    claim = Claim.objects.get()
    assert (claim.reference, claim.created_by) == (reference, associate)
    assert claim.ship_zip == "10001"
    filed = [r for r in sandbox.received if r.path.startswith(CLAIMS_PATH)]
    assert len(filed) == 1
    body = filed[0].body_json
    assert body["customer"]["email"] == "jane.doe@example.com"
    stored = {a.kind: a.sha256 for a in ClaimAttachment.objects.filter(claim=claim)}
    assert filed[0].fetched_images[body["item"]["images"][0]] == stored["item"]
    assert filed[0].fetched_images[body["warranty"]["receiptImages"][0]] == stored["receipt"]
    assert filed[0].fetched_images[body["signature"]] == stored["signature"]


@pytest.fixture
def two_tabs(tablet_context: BrowserContext, tablet: Page, manager, pins) -> Iterator[list[Page]]:
    unlock(tablet, manager)
    yield [tablet, tablet_context.new_page()]


def wait_for_kept(page: Page, count: int) -> None:
    wait_until(lambda: waiting_requests(page) >= count, timeout=10)


# A page shown offline orders its saves by when they were made (kiosk.js), so of two
# tabs the input given last wins, whichever tab was opened first.
@pytest.mark.parametrize("typed_last", ["the tab opened last", "the tab opened first"])
def test_one_claim_in_two_tabs_offline_is_filed_once_with_the_input_given_last(
    typed_last: str,
    api_to_sandbox,
    tablet_context: BrowserContext,
    two_tabs: list[Page],
    make_complete_claim,
    screenshot,
):
    sandbox = api_to_sandbox
    claim = make_complete_claim()  # started online: the server has every step
    opened_first, opened_last = two_tabs
    for tab in two_tabs:
        tab.goto(f"/claims/{claim.reference}/steps/address/")
        expect(tab.locator("#id_ship_zip")).to_have_value("10001")
    tablet_context.set_offline(True)

    # In the order of typing: the ZIP each tab gives.
    if typed_last == "the tab opened last":
        typing = [(opened_first, "10011"), (opened_last, "10022")]
    else:
        typing = [(opened_last, "10022"), (opened_first, "10011")]
    # Each tab brought to the front as the associate switches to it (a tab behind draws,
    # and so takes a signature, only slowly).
    for kept, (tab, zip_code) in enumerate(typing, start=1):
        tab.bring_to_front()
        tab.fill("#id_ship_zip", zip_code)
        wait_for_kept(tab, kept)  # its autosave, kept on the tablet
    for tab, zip_code in typing:
        tab.bring_to_front()
        next_step(tab, "review")
        # The review fills itself from the outbox once loaded: let it have, before the other
        # tab's Next keeps a newer save (a loaded machine once let that save in first).
        expect(tab.get_by_test_id("review")).to_contain_text(zip_code)
    screenshot(typing[0][0], "review-offline-typed-first")
    screenshot(typing[1][0], "review-offline-typed-last")
    for tab, zip_code in typing:
        tab.bring_to_front()
        expect(tab.get_by_test_id("review")).to_contain_text(zip_code)
        sign(tab)
        tab.get_by_test_id("submit-claim").click()
        expect(tab).to_have_url(re.compile(rf"/claims/{claim.reference}/result/$"))
        expect(tab.get_by_test_id("claim-kept")).to_be_visible()
    screenshot(typing[1][0], "result-offline")
    assert not sandbox.received

    tablet_context.set_offline(False)
    wait_until(lambda: Claim.objects.filter(status=Claim.Status.FILED).exists())
    wait_until(lambda: waiting_requests(opened_first) == 0)

    assert Claim.objects.count() == 1
    filed = [r for r in sandbox.received if r.path.startswith(CLAIMS_PATH)]
    assert len(filed) == 1
    claim.refresh_from_db()
    (_, given_first), (_, given_last) = typing
    assert claim.ship_zip == given_last
    filed_zips = re.findall(r"100(?:11|22)", json.dumps(filed[0].body_json))
    assert filed_zips == [given_last]
