"""Every page of the tablet and the desk, checked with axe-core for WCAG 2.2 A and AA.

One test per screen size, audience and language walks through the pages in one browser
context (one login), and runs axe (tests/browser/axe.py) on each: the tablet's pages at
tablet size upright and sideways and at phone size, the desk's upright and at phone size.
A failure lists every violation of every page at once; each page that has one is
screenshotted into test-artifacts/screenshots/<test>/. docs/accessibility.md says more.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, Route, expect

from kiosk.models import Claim, ClaimAttachment, Product, RiskDecision, RiskSignal, Variant
from kiosk.roles import STORE_MANAGERS
from kiosk.services.submission import claim_submit
from kiosk.services.tablets import TABLET_COOKIE, pin_set, tablet_sign_in
from tests.browser.axe import axe_violations, describe
from tests.browser.conftest import PASSWORD, PIN, SCREENSHOTS, log_in
from tests.factories import ClaimFactory, UserFactory
from tests.images import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)

CATALOG_CSV = Path(__file__).resolve().parents[2] / "kiosk" / "demo" / "catalog.csv"

TABLET_SIZES = {
    "tablet-portrait": (820, 1180),
    "tablet-landscape": (1180, 820),
    "phone": (390, 844),
    "phone-landscape": (844, 390),
}
DESK_SIZES = {
    "tablet-portrait": (820, 1180),
    "tablet-landscape": (1180, 820),
    "phone": (390, 844),
    "phone-landscape": (844, 390),
}
# The languages each page is checked in: the browser asks for it (Accept-Language and
# Django's language cookie, see browser_context), and each page must be in it (<html lang>).
LANGUAGES = ("en", "es")
# The store works in the language checked, so its tablet, its manager's desk and its
# customers' parts of the pages are all in it (the associate and the manager chose none).
STORE_LANGUAGE = {"en": "en-us", "es": "es-us"}
# Opens what is collapsed, so that axe checks it too; what shows closed shows open as well.
OPEN_PANELS = """() => {
  for (const panel of document.querySelectorAll("details:not([open])")) panel.open = true;
  for (const panel of document.querySelectorAll(".collapse:not(.show)")) {
    panel.classList.add("show");
  }
}"""
# AXE_SCREENSHOTS=1: a screenshot of every screen checked, not only of those that fail.
SCREENSHOT_EVERY_SCREEN = os.environ.get("AXE_SCREENSHOTS") == "1"


class Audit:
    """Runs axe on each screen it is shown, and keeps what axe found."""

    def __init__(self, page: Page, language: str, folder: Path):
        self.page = page
        self.language = language
        self.folder = folder
        self.problems: list[str] = []
        self.screens = 0

    def screenshot(self, screen: str) -> None:
        self.page.evaluate("window.scrollTo(0, 0)")
        path = self.folder / f"{self.screens:02d}-{re.sub(r'[^\w.-]+', '-', screen)}.png"
        self.page.screenshot(path=path, full_page=True, scale="css", animations="disabled")

    def check(self, screen: str) -> None:
        """axe on the page as it is, with every collapsed panel opened."""
        page = self.page
        page.wait_for_load_state()
        page.evaluate(OPEN_PANELS)
        # axe places a sticky element where it is stuck (axe-core issue #3720), so whatever
        # scrolls under the steps' Next/Back bar would count as covered by it: at the page's
        # end the bar is where the flow puts it, over nothing.
        page.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight)")
        self.screens += 1
        lang = page.evaluate("document.documentElement.lang")
        if not lang.startswith(self.language):
            self.problems.append(f"{screen}: <html lang={lang!r}>, not {self.language}")
        found = describe(screen, axe_violations(page))
        if found or SCREENSHOT_EVERY_SCREEN:
            self.screenshot(screen)
        self.problems.extend(found)


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    """test-artifacts/screenshots/test_accessibility/<test and its parameters>/, emptied."""
    folder = SCREENSHOTS / "test_accessibility" / re.sub(r"[^\w.-]+", "-", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def browser_context(new_context, live_server, size: tuple[int, int], language: str):
    width, height = size
    context: BrowserContext = new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": height},
        device_scale_factor=1,
        has_touch=True,
        locale=language,
    )
    context.set_default_timeout(10_000)
    cookie = django_settings.LANGUAGE_COOKIE_NAME
    context.add_cookies([{"name": cookie, "value": language, "url": live_server.url}])
    return context


def manager_of(store, username: str):
    user = UserFactory(username=username, first_name=username.title(), is_staff=True)
    user.groups.add(Group.objects.get(name=STORE_MANAGERS))
    store.members.add(user)
    return user


def risky_claim_signals(claim: Claim, manager) -> None:
    """The claim scored high, with signals in words: one matching a claim the manager may
    open and one at another store, and one a manager has quieted."""
    Claim.objects.filter(pk=claim.pk).update(
        risk_level="high", risk_score=85, risk_scored_at=timezone.now()
    )
    mine = ClaimFactory(
        store=claim.store,
        status=Claim.Status.FILED,
        claim_number="SB-1111-2222",
        submitted_at=timezone.now(),
    )
    # A claim the manager may not see is only counted, whatever it is: no other store is
    # made (it would show in the other pages' store filters).
    elsewhere_pk = 10**6
    matches = [
        {"claim": mine.pk, "distance": 0, "exact": True},
        {"claim": elsewhere_pk, "distance": 3, "exact": False},
    ]
    RiskSignal.objects.create(
        claim=claim,
        code="receipt_reuse",
        weight=50,
        detail={"kind": "receipt", "matches": matches, "nearest": 0},
        matched_claim_ids=[mine.pk, elsewhere_pk],
    )
    RiskSignal.objects.create(
        claim=claim,
        code="price_mismatch",
        weight=20,
        detail={"item_price": "19.99", "catalog_price": "249.99", "deviation": 0.92},
    )
    fine = RiskDecision.objects.create(
        claim=claim,
        verdict="fine",
        reason="Regular customer, two machines",
        decided_by=manager,
        quieted=[["repeat_claimant", mine.pk]],
    )
    RiskSignal.objects.create(
        claim=claim,
        code="repeat_claimant",
        weight=15,
        detail={"windows": [{"days": 30, "store": 1, "chain": 1}], "by": ["email"]},
        matched_claim_ids=[mine.pk],
        quieted_by=fine,
    )


def admin_log_in(page: Page, username: str) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#user-tools")).to_be_visible()


def next_page(page: Page) -> None:
    page.get_by_test_id("next").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", list(TABLET_SIZES))
def test_the_tablets_pages_have_no_axe_violations(
    size,
    language,
    new_context,
    live_server,
    store,
    associate,
    manager,
    make_complete_claim,
    api_to_sandbox,  # the sandbox's banner shows, as in the demo
    screenshots,
    tmp_path,
):
    store.language = STORE_LANGUAGE[language]
    store.save()
    pin_set(user=associate, pin=PIN, by=manager)
    # As the delivery leaves a claim OrderProtection took (the desk's test files one).
    filed = make_complete_claim()
    filed.status, filed.claim_number = Claim.Status.FILED, "SB-1234-5678"
    filed.submitted_at = filed.filed_at = timezone.now()
    filed.save()
    to_sign = make_complete_claim()  # every step done but the signature
    to_sign.attachments.filter(kind=ClaimAttachment.Kind.SIGNATURE).delete()
    to_sign.completed_steps = [step for step in to_sign.completed_steps if step != "signature"]
    to_sign.save()
    photo = tmp_path / "item.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(640, 480)))

    # The manager's side of the tablet: the login and the tablet's setup.
    context = browser_context(new_context, live_server, TABLET_SIZES[size], language)
    page = context.new_page()
    audit = Audit(page, language, screenshots)
    page.goto("/accounts/login/")
    audit.check("login")
    log_in(page, manager.username)
    page.goto(reverse("kiosk:tablet-setup"))
    audit.check("tablet setup")
    context.close()

    _, cookie = tablet_sign_in(store=store, name="Counter 1", manager=manager)
    context = browser_context(new_context, live_server, TABLET_SIZES[size], language)
    context.add_cookies([{"name": TABLET_COOKIE, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    audit.page = page
    page.goto(reverse("kiosk:unlock"))
    audit.check("locked screen")
    page.get_by_role("link", name="Alex").click()
    audit.check("PIN pad")
    with page.expect_navigation():
        page.fill("#id_pin", "0000")  # sent at its last digit
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("PIN pad, wrong PIN")
    page.goto(reverse("kiosk:unlock-pin", args=[associate.pk]))
    with page.expect_navigation():
        page.fill("#id_pin", PIN)
    expect(page.get_by_test_id("new-claim")).to_be_visible()
    audit.check("start screen")

    page.get_by_test_id("new-claim").get_by_role("button").click()  # no customer yet
    expect(page).to_have_url(re.compile(r"/steps/customer/$"))
    reference = page.url.split("/")[-4]
    audit.check("customer, errors")
    page.fill("#id_ship_first_name", "Dana")
    page.fill("#id_ship_last_name", "Reyes")
    page.fill("#id_customer_email", "dana.reyes@example.com")
    next_page(page)
    expect(page).to_have_url(re.compile(r"/steps/item/$"))
    audit.check("item")

    # A photo on its way: its tile says so until the upload's answer comes.
    held: list[Route] = []
    page.context.route(re.compile(r"/photos/$"), lambda route: held.append(route))
    page.set_input_files("#id_item_photos", photo)
    expect(page.get_by_test_id("attachments-item").locator(".attachment")).to_have_count(1)
    for _ in range(100):  # the upload starts once the photo is made smaller
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the photo was not uploaded"
    audit.check("item, photo uploading")
    held[0].continue_()
    page.context.unroute(re.compile(r"/photos/$"))
    expect(page.get_by_test_id("attachments-item").locator("img")).to_have_count(1)

    next_page(page)
    audit.check("item, errors")
    # Tiles picked on the page with the errors, still in the errors' red; "Another
    # problem…" shows more tiles.
    page.locator("input[name=issue_type][value=other] + label").click()
    expect(page.locator("input[name=other_issue_type]").first).to_be_attached()
    page.locator("label[for=id_resolution_0]").click()
    audit.check("item, errors, tiles picked")

    page.goto(reverse("kiosk:claim-step", args=[reference, "customer"]))
    audit.check("customer")

    page.goto(reverse("kiosk:claim-step", args=[reference, "address"]))
    audit.check("address")
    page.fill("#id_ship_zip", "ABCDE")
    next_page(page)
    audit.check("address, errors")

    page.goto(reverse("kiosk:claim-step", args=[to_sign.reference, "review"]))
    audit.check("review")
    page.get_by_test_id("submit-claim").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    audit.check("review, errors")

    page.goto(reverse("kiosk:claim-discard", args=[reference]))
    audit.check("discard")
    page.goto(reverse("kiosk:claim-result", args=[filed.reference]))
    expect(page.get_by_test_id("claim-number")).to_be_visible()
    audit.check("result")
    page.goto(reverse("kiosk:claim-receipt", args=[filed.reference]))
    audit.check("printed copy")
    page.goto(reverse("kiosk:customer-claims"))
    audit.check("customer's claims")
    page.fill("#id_contact", filed.customer_email)
    page.locator("#id_contact").press("Enter")
    expect(page.get_by_test_id("customer-claims")).to_be_visible()
    audit.check("customer's claims, found")

    # What the service worker shows without a network: its shells, opened directly.
    page.goto(reverse("kiosk:offline"))
    audit.check("offline")
    page.goto(reverse("kiosk:home-shell"))
    audit.check("offline start screen")
    for slug in ("customer", "item", "address"):
        page.goto(reverse("kiosk:step-shell", args=[slug]))
        audit.check(f"offline {slug}")
    page.goto(reverse("kiosk:review-shell"))
    audit.check("offline review")
    page.goto(reverse("kiosk:result-shell"))
    audit.check("offline result")

    print(f"{audit.screens} screens checked at {size} in {language}")
    assert audit.problems == [], "\n".join(audit.problems)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", list(DESK_SIZES))
def test_the_desks_pages_have_no_axe_violations(
    size,
    language,
    new_context,
    live_server,
    store,
    associate,
    make_complete_claim,
    api_to_sandbox,
    media_server,
    screenshots,
    settings,
):
    settings.PORTAL_BASE_URL = live_server.url
    settings.PASSWORD_FAILURE_LIMIT = 2
    store.language = STORE_LANGUAGE[language]
    store.save()
    bruno = manager_of(store, "bruno")
    claim = make_complete_claim()
    claim_submit(claim=claim, media_base_url=media_server)
    ClaimFactory(store=store, created_by=associate)
    tablet, _ = tablet_sign_in(store=store, name="Counter 1", manager=bruno)

    context = browser_context(new_context, live_server, DESK_SIZES[size], language)
    page = context.new_page()
    audit = Audit(page, language, screenshots)
    page.goto("/admin/login/")
    audit.check("login")
    admin_log_in(page, "bruno")
    audit.check("index")

    risky_claim_signals(claim, bruno)
    machine = Product.objects.create(name="Espresso machine", source_product_id="7001")
    machine.stores.add(store)
    Variant.objects.create(product=machine, sku="EM-1", barcode="00012345678905", price="249.99")
    screens = {
        "claim list": reverse("admin:kiosk_claim_changelist"),
        "claim view": reverse("admin:kiosk_claim_change", args=[claim.pk]),
        "dashboard": reverse("admin:kiosk_claim_dashboard"),
        "catalog list": reverse("admin:kiosk_product_changelist"),
        "catalog product": reverse("admin:kiosk_product_change", args=[machine.pk]),
        "barcode sheet": reverse("admin:barcode_sheet"),
        "tablets": reverse("admin:kiosk_tablet_changelist"),
        "tablet": reverse("admin:kiosk_tablet_change", args=[tablet.pk]),
        "stores": reverse("admin:kiosk_store_changelist"),
        "store": reverse("admin:kiosk_store_change", args=[store.pk]),
        "catalog import": reverse("admin:kiosk_product_import"),
    }
    for screen, url in screens.items():
        page.goto(url)
        audit.check(screen)
    # The Risk card's decision, sent without a reason (spaces only): the errors shown.
    page.goto(reverse("admin:kiosk_claim_change", args=[claim.pk]))
    decision = page.get_by_test_id("risk-decision")
    decision.locator("input[value=suspicious]").check()
    decision.locator("textarea").fill("   ")
    decision.get_by_role("button").click()
    expect(page.get_by_test_id("risk-decision").locator(".errorlist")).to_be_visible()
    audit.check("claim view, risk decision errors")
    page.goto(reverse("admin:kiosk_product_import"))
    page.get_by_test_id("catalog-preview").click()
    audit.check("catalog import, errors")
    page.set_input_files("#id_file", CATALOG_CSV)
    page.get_by_label("Our catalog CSV").check()
    page.get_by_label("Main Street").check()
    page.get_by_test_id("catalog-preview").click()
    expect(page.get_by_test_id("catalog-confirm")).to_be_visible()
    audit.check("catalog import, preview")
    context.close()

    # The people: a superuser's pages.
    UserFactory(username="root", is_staff=True, is_superuser=True)
    context = browser_context(new_context, live_server, DESK_SIZES[size], language)
    page = context.new_page()
    audit.page = page
    admin_log_in(page, "root")
    page.goto(reverse("admin:auth_user_changelist"))
    audit.check("users")
    page.goto(reverse("admin:auth_user_change", args=[associate.pk]))
    audit.check("user")
    context.close()

    # Logged out: the password reset pages, and a login locked out.
    context = browser_context(new_context, live_server, DESK_SIZES[size], language)
    page = context.new_page()
    audit.page = page
    page.goto(reverse("password_reset"))
    audit.check("password reset")
    page.fill("#id_email", "nobody@example.com")
    page.get_by_role("button").last.click()
    audit.check("password reset sent")
    assert mail.outbox == []
    page.goto(reverse("password_reset_confirm", args=["MQ", "set-password"]))
    audit.check("password reset link expired")
    page.goto(reverse("password_reset_complete"))
    audit.check("password reset complete")
    settings.PORTAL_BASE_URL = ""
    page.goto(reverse("password_reset"))
    audit.check("password reset unavailable")
    for _ in range(3):
        page.goto("/admin/login/")
        page.fill("#id_username", "bruno")
        page.fill("#id_password", "wrong")
        page.locator("#login-form [type=submit]").click()
    expect(page.get_by_test_id("locked-out")).to_be_visible()
    audit.check("locked out")

    print(f"{audit.screens} screens checked at {size} in {language}")
    assert audit.problems == [], "\n".join(audit.problems)
