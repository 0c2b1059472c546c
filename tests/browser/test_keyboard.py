"""A whole claim with the keyboard alone: Tab, Shift+Tab, Space, Enter, arrows and typing.

A photo is picked the way a keyboard user's file dialog does it: the file input is
reached by Tab, and the file handed to the focused input. The script counts the Tab
presses it needs from the locked screen to the review (see docs/tablet.md).
"""

import datetime
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kiosk.models import Claim, ClaimAttachment, Product, Store, Variant
from kiosk.services.tablets import TABLET_COOKIE, pin_set, tablet_sign_in
from tests.browser.conftest import SCREENSHOTS, TABLET
from tests.factories import ClaimFactory
from tests.images import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)

# Tabs from the locked screen to the review on the test's route: 33 since each page puts
# the focus on its first field (40 before).
MOST_TABS_TO_REVIEW = 33


DESCRIBE_FOCUS = """() => {
  const e = document.activeElement;
  if (!e) return "";
  const name = e.id || e.name || e.getAttribute("aria-label") || e.textContent.trim().slice(0, 30);
  return `${e.tagName.toLowerCase()} ${name}`;
}"""


class Keyboard:
    """The associate's keyboard: every Tab press is counted."""

    def __init__(self, page: Page):
        self.page = page
        self.tabs = 0
        self.tabs_on_page: dict[str, int] = {}
        self.stops: dict[str, list[str]] = {}  # what each Tab landed on, page by page
        self.page_name = ""

    def on_page(self, name: str) -> None:
        self.page_name = name
        self.tabs_on_page[name] = 0
        self.stops[name] = []

    def focused(self, selector: str) -> bool:
        return self.page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)", selector
        )

    def tab_to(self, selector: str, *, backwards: bool = False, most: int = 80) -> None:
        """Press Tab (or Shift+Tab) until the focus is on `selector`."""
        for _ in range(most):
            if self.focused(selector):
                return
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            self.tabs += 1
            self.tabs_on_page[self.page_name] += 1
            self.stops[self.page_name].append(self.page.evaluate(DESCRIBE_FOCUS))
        active = self.page.evaluate("document.activeElement && document.activeElement.outerHTML")
        raise AssertionError(f"{selector} not reached by Tab; focus is on {active}")

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def pick_file(self, path: Path) -> None:
        """What the file dialog does once the focused input opened it."""
        self.page.locator("input[type=file]:focus").set_input_files(path)


@pytest.fixture
def keyboard_tablet(new_context, live_server, associate, manager, store) -> Page:
    """The store's tablet, signed in and locked, with no pointer used at all."""
    store.default_state = "US-NY"
    store.default_resolution = "RESHIP"
    store.save()
    pin_set(user=associate, pin="4821", by=manager)
    _, cookie = tablet_sign_in(store=store, name="Counter 1", manager=manager)
    context = new_context(base_url=live_server.url, **TABLET)
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": TABLET_COOKIE, "value": cookie, "url": live_server.url}])
    return context.new_page()


@pytest.fixture
def espresso_machine(media_server) -> Variant:
    machine = Product.objects.create(name="Espresso machine", source_product_id="7001")
    machine.stores.add(Store.objects.get())
    return Variant.objects.create(
        product=machine, sku="EM-1", barcode="00012345678905", price="249.99"
    )


def test_a_whole_claim_by_keyboard_alone(
    keyboard_tablet: Page, tmp_path, api_to_sandbox, espresso_machine, screenshot, settings
):
    settings.KIOSK_CONFIRMATION_SECONDS = 30
    page = keyboard_tablet
    keys = Keyboard(page)
    item_photo, receipt_photo = tmp_path / "item.jpg", tmp_path / "receipt.jpg"
    item_photo.write_bytes(image_bytes("JPEG", size=(1200, 900)))
    receipt_photo.write_bytes(image_bytes("JPEG", size=(900, 1200), color="white"))

    page.goto("/tablet/unlock/")
    keys.on_page("locked screen")
    screenshot(page, "locked")
    keys.tab_to("a.associate-tile")
    keys.press("Enter")
    expect(page.locator("#id_pin")).to_be_visible()
    keys.on_page("PIN pad")
    keys.tab_to("#id_pin")
    keys.type("4821")  # unlocks at the last digit
    expect(page.get_by_test_id("new-claim")).to_be_visible()

    keys.on_page("start screen")
    keys.tab_to("#id_ship_first_name")
    keys.type("Dana")
    keys.tab_to("#id_ship_last_name")
    keys.type("Reyes")
    keys.tab_to("#id_customer_email")
    keys.type("dana.reyes@example.com")
    keys.tab_to("#id_customer_phone")
    keys.type("(212) 555-0147")
    screenshot(page, "start")
    keys.tab_to("[data-testid=new-claim] button[type=submit]")
    keys.press("Enter")
    expect(page).to_have_url(re.compile(r"/steps/item/$"))

    keys.on_page("item")
    # The catalog's combobox: type, arrow down to the product, Enter.
    keys.tab_to("#catalog-query")
    keys.type("Espresso")
    expect(page.locator("#catalog-results [role=option]")).to_have_count(1)
    keys.press("ArrowDown")
    keys.press("Enter")
    expect(page.locator("#id_item_price")).to_have_value("249.99")
    keys.tab_to("#id_item_photos")
    keys.pick_file(item_photo)
    expect(page.get_by_test_id("attachments-item").locator("img")).to_have_count(1)
    # What is wrong: a radio group is one Tab stop; Space picks the focused choice.
    keys.tab_to("input[name=issue_type]")
    keys.press("Space")
    expect(page.locator("input[name=issue_type][value=DEFECTIVE_ITEM]")).to_be_checked()
    expect(page.locator("input[name=resolution][value=RESHIP]")).to_be_checked()
    purchased = datetime.date.today() - datetime.timedelta(days=30)
    keys.tab_to("#id_date_of_purchase")
    keys.type(f"{purchased:%m%d%Y}")  # the date field's segments: month, day, year
    expect(page.locator("#id_date_of_purchase")).to_have_value(f"{purchased:%Y-%m-%d}")
    keys.tab_to("#id_receipt_photos")
    keys.pick_file(receipt_photo)
    expect(page.get_by_test_id("attachments-receipt").locator("img")).to_have_count(1)
    screenshot(page, "item")
    keys.tab_to("[data-testid=next]")
    keys.press("Enter")
    expect(page).to_have_url(re.compile(r"/steps/address/$"))

    keys.on_page("address")
    keys.tab_to("#id_ship_address1")
    keys.type("123 Main St")
    keys.tab_to("#id_ship_zip")
    keys.type("10001")
    expect(page.locator("#id_ship_city")).to_have_value("New York")
    screenshot(page, "address")
    keys.tab_to("[data-testid=next]")
    keys.press("Enter")
    expect(page).to_have_url(re.compile(r"/steps/review/$"))
    tabs_to_review = keys.tabs
    screenshot(page, "review")

    # The customer signs by typing their name: the pad is reached first and says so,
    # and "Type your name instead" is the very next Tab.
    keys.on_page("review")
    keys.tab_to("#signature-pad")
    pad = page.locator("#signature-pad")
    expect(pad).to_have_attribute("role", "img")
    expect(pad).to_have_accessible_name(re.compile("Signature pad"))
    keys.press("Tab")
    assert keys.focused("[data-testid=type-name-instead]")
    keys.press("Enter")
    expect(page.locator("#id_signature_typed_name")).to_be_focused()
    keys.type("Dana Reyes")
    screenshot(page, "review-typed-name")
    keys.tab_to("[data-testid=submit-claim]")
    keys.press("Enter")
    expect(page.get_by_test_id("claim-number")).to_have_text(re.compile(r"^SB-\d{4}-\d{4}$"))
    screenshot(page, "result")

    claim = Claim.objects.get()
    assert claim.status == Claim.Status.FILED
    assert (claim.customer_name, claim.item_name, claim.ship_city) == (
        "Dana Reyes",
        "Espresso machine",
        "New York",
    )
    (signature,) = claim.attachments_of(ClaimAttachment.Kind.SIGNATURE)
    assert signature.typed and signature.content_type == "image/png"
    (filed,) = [r for r in api_to_sandbox.received if r.method == "POST"]
    # The body is the drawn signature's: a URL of the image, which the sandbox fetched.
    assert filed.body_json["signature"].endswith(signature.file.name)
    assert filed.fetched_images[filed.body_json["signature"]]
    SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOTS.parent.joinpath("keyboard-tabs.json").write_text(
        json.dumps(
            {"to_review": tabs_to_review, "per_page": keys.tabs_on_page, "stops": keys.stops},
            indent=2,
        )
    )
    print("Tabs to the review:", tabs_to_review, keys.tabs_on_page)
    assert tabs_to_review <= MOST_TABS_TO_REVIEW, keys.tabs_on_page


def test_each_page_starts_at_its_first_field(
    associate_tablet: Page, complete_claim: Claim, screenshot
):
    page = associate_tablet
    reference = complete_claim.reference
    for step, first in [
        ("customer", "#id_ship_first_name"),
        ("item", "#catalog-query"),
        ("address", "#id_ship_first_name"),
        ("review", "h1"),
    ]:
        page.goto(f"/claims/{reference}/steps/{step}/")
        expect(page.locator(first)).to_be_focused()
    # Tab from the review's heading: the customer's language beside it, then the sections'
    # Edit links, not the header.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("name", "customer_language")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text(re.compile(r"^Edit"))


def test_every_link_of_the_error_summary_takes_the_focus_to_its_field(
    associate_tablet: Page, associate, store, screenshot
):
    page = associate_tablet
    claim = ClaimFactory(store=store, created_by=associate, completed_steps=["customer"])
    Claim.objects.filter(pk=claim.pk).update(item_name="", date_of_purchase=None, issue_type="")
    page.goto(f"/claims/{claim.reference}/steps/item/")
    keys = Keyboard(page)
    keys.on_page("item")
    keys.tab_to("[data-testid=next]")
    keys.press("Enter")

    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    screenshot(page, "item-errors")
    links = summary.locator("a")
    targets = [href.removeprefix("#") for href in links.evaluate_all("l => l.map(a => a.hash)")]
    assert {"id_item_name", "id_item_photos", "id_issue_type_0", "id_receipt_photos"} <= set(
        targets
    )
    for index, target in enumerate(targets):
        summary.focus()  # back to the top, as the page opened
        for _ in range(index + 1):
            keys.press("Tab")
        expect(links.nth(index)).to_be_focused()
        keys.press("Enter")
        expect(page.locator(f"[id='{target}']")).to_be_focused()


def test_submit_without_a_signature_says_so_at_the_top_with_the_focus_there(
    associate_tablet: Page, complete_claim: Claim, screenshot
):
    page = associate_tablet
    complete_claim.attachments.filter(kind=ClaimAttachment.Kind.SIGNATURE).delete()
    complete_claim.completed_steps = ["customer", "item", "warranty", "address", "issue"]
    complete_claim.save()
    page.goto(f"/claims/{complete_claim.reference}/steps/review/")
    keys = Keyboard(page)
    keys.on_page("review")
    keys.tab_to("[data-testid=submit-claim]")
    keys.press("Enter")

    expect(page).to_have_url(re.compile(r"/steps/review/$"))
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("The customer has not signed yet")
    expect(page.get_by_text("Some steps are not complete yet")).to_have_count(0)
    # Where the eye is: at the top of the screen, not 1,300 px below it.
    box = summary.bounding_box()
    assert box is not None and 0 <= box["y"] < TABLET["viewport"]["height"] / 2
    expect(page.locator("#error_signature")).to_contain_text("The customer has not signed yet")
    screenshot(page, "missing-signature")

    keys.press("Tab")
    keys.press("Enter")  # the summary's link
    expect(page.locator("#signature-pad")).to_be_focused()
    keys.press("Tab")
    expect(page.get_by_test_id("type-name-instead")).to_be_focused()
    keys.press("Space")
    expect(page.locator("#id_signature_typed_name")).to_be_focused()
    keys.type("Sam Okafor")
    keys.tab_to("[data-testid=submit-claim]")
    expect(page.locator("#id_signature_data")).to_have_value("")


def test_the_typed_name_works_by_touch_too(
    associate_tablet: Page, complete_claim: Claim, api_to_sandbox, media_server, screenshot
):
    page = associate_tablet
    complete_claim.attachments.filter(kind=ClaimAttachment.Kind.SIGNATURE).delete()
    complete_claim.completed_steps = ["customer", "item", "warranty", "address", "issue"]
    complete_claim.save()
    page.goto(f"/claims/{complete_claim.reference}/steps/review/")

    page.get_by_test_id("type-name-instead").tap()
    name = page.locator("#id_signature_typed_name")
    expect(name).to_be_focused()  # the on-screen keyboard opens for it
    name.fill("Jane Doe")
    page.get_by_test_id("submit-claim").tap()

    expect(page.get_by_test_id("claim-number")).to_be_visible()
    (signature,) = Claim.objects.get().attachments_of(ClaimAttachment.Kind.SIGNATURE)
    assert signature.typed
