"""The tablet's pages in English and in Spanish, at phone size and upright on a tablet.

Spanish words run 20–30% longer than English ones. On every page of a claim, with its
collapsed panels opened (the catalog's results listed on Item, the typed name opened on
the review), nothing may scroll sideways, no button's or label's words may run out of
its box, and every touch target is at least 44×44 px. Each page is screenshotted into
test-artifacts/screenshots/test_phone_layout/<size>-<language>/ to be looked at.
"""

import re
import shutil

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from kiosk.models import Claim, ClaimAttachment, Product, Variant
from kiosk.services.tablets import TABLET_COOKIE, pin_set, tablet_sign_in
from tests.browser.conftest import PIN, SCREENSHOTS, TARGET_PX, TARGETS_SCRIPT
from tests.browser.test_accessibility import (
    LANGUAGES,
    OPEN_PANELS,
    STORE_LANGUAGE,
    browser_context,
    next_page,
)

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"phone": (390, 844), "tablet-portrait": (820, 1180)}
# Words that run out of their box: a button's, a .btn's (a link or a <summary> dressed as
# one) or a label's content wider than the box (1 px for rounding). Hidden ones do not count.
OVERFLOWING_TEXT = """() => {
  const overflowing = [];
  for (const element of document.querySelectorAll("button, .btn, label")) {
    if (!element.getClientRects().length) continue;
    if (getComputedStyle(element).visibility === "hidden") continue;
    if (element.closest(".visually-hidden, [hidden]")) continue;
    if (element.scrollWidth > element.clientWidth + 1) {
      const words = element.textContent.trim().replace(/\\s+/g, " ").slice(0, 60);
      overflowing.push(`"${words}" is ${element.scrollWidth} px in ${element.clientWidth} px`);
    }
  }
  return overflowing;
}"""
SIDEWAYS = "document.scrollingElement.scrollWidth - window.innerWidth"


class Walk:
    """Checks and screenshots each page it is shown, and keeps what it found."""

    def __init__(self, page: Page, folder):
        self.page = page
        self.folder = folder
        self.problems: list[str] = []
        self.pages = 0

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state()
        page.evaluate(OPEN_PANELS)
        self.pages += 1
        sideways = page.evaluate(SIDEWAYS)
        if sideways > 0:
            self.problems.append(f"{name}: scrolls sideways by {sideways} px")
        for words in page.evaluate(OVERFLOWING_TEXT):
            self.problems.append(f"{name}: {words}")
        for target in page.evaluate(TARGETS_SCRIPT, TARGET_PX):
            self.problems.append(f"{name}: small target {target}")
        page.evaluate("window.scrollTo(0, 0)")
        path = self.folder / f"{self.pages:02d}-{re.sub(r'[^\w.-]+', '-', name)}.png"
        page.screenshot(path=path, full_page=True, scale="css", animations="disabled")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", list(SIZES))
def test_the_tablets_pages_fit_in_english_and_spanish(
    size,
    language,
    new_context,
    live_server,
    store,
    associate,
    manager,
    make_complete_claim,
    api_to_sandbox,  # the sandbox's banner shows, as in the demo
    settings,
):
    settings.KIOSK_CONFIRMATION_SECONDS = 600  # the result page stays while it is looked at
    store.language = STORE_LANGUAGE[language]
    store.save()
    pin_set(user=associate, pin=PIN, by=manager)
    machine = Product.objects.create(name="Espresso machine", source_product_id="7001")
    machine.stores.add(store)
    Variant.objects.create(product=machine, sku="EM-1", barcode="00012345678905", price="249.99")
    filed = make_complete_claim()
    filed.status, filed.claim_number = Claim.Status.FILED, "SB-1234-5678"
    filed.submitted_at = filed.filed_at = timezone.now()
    filed.save()
    to_sign = make_complete_claim()  # every step done but the signature
    to_sign.attachments.filter(kind=ClaimAttachment.Kind.SIGNATURE).delete()
    to_sign.completed_steps = [step for step in to_sign.completed_steps if step != "signature"]
    to_sign.save()
    folder = SCREENSHOTS / "test_phone_layout" / f"{size}-{language}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)

    _, cookie = tablet_sign_in(store=store, name="Counter 1", manager=manager)
    context = browser_context(new_context, live_server, SIZES[size], language)
    context.add_cookies([{"name": TABLET_COOKIE, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    walk = Walk(page, folder)
    page.goto(reverse("kiosk:unlock"))
    walk.check("locked screen")
    page.get_by_role("link", name="Alex").click()
    expect(page.locator("[data-pin-form]")).to_be_visible()
    walk.check("PIN pad")
    with page.expect_navigation():
        page.fill("#id_pin", PIN)  # sent at its last digit
    expect(page.get_by_test_id("new-claim")).to_be_visible()
    walk.check("start screen")

    page.fill("#id_ship_first_name", "Dana")
    page.fill("#id_ship_last_name", "Reyes")
    page.fill("#id_customer_email", "dana.reyes@example.com")
    page.get_by_test_id("new-claim").get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"/steps/item/$"))
    reference = page.url.split("/")[-4]
    page.get_by_test_id("catalog-query").fill("Espresso")
    found = page.get_by_test_id("catalog-results").get_by_role("option")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("249.99")  # es-US writes money the US way too
    walk.check("item, catalog search, panels opened")

    page.goto(reverse("kiosk:claim-step", args=[reference, "customer"]))
    walk.check("customer")
    page.goto(reverse("kiosk:claim-step", args=[reference, "address"]))
    walk.check("address")
    next_page(page)  # nothing typed: the errors
    walk.check("address, errors")

    page.goto(reverse("kiosk:claim-step", args=[to_sign.reference, "review"]))
    page.get_by_test_id("type-name-instead").click()
    expect(page.locator("[data-typed-signature-name]")).to_be_visible()
    walk.check("review, typed name opened")

    page.goto(reverse("kiosk:claim-result", args=[filed.reference]))
    expect(page.get_by_test_id("claim-number")).to_be_visible()
    walk.check("result")
    page.goto(reverse("kiosk:customer-claims"))
    walk.check("customer's claims")
    page.fill("#id_contact", filed.customer_email)
    page.locator("#id_contact").press("Enter")
    expect(page.get_by_test_id("customer-claims")).to_be_visible()
    walk.check("customer's claims, found")

    assert page.evaluate("document.documentElement.lang").startswith(language)
    assert walk.problems == [], "\n".join(walk.problems)
