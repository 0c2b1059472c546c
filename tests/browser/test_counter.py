"""A standard claim at the counter, as the associate does it, at three screen sizes.

The script counts every tap and every typed field from the locked screen to the claim
number: a tap on a button, link or tile is one, typing into a field is one (whatever
its length), a scan with a hardware scanner is one, picking a photo is one and drawing
the signature is one. The item is in the store's catalog, and scanned. On every page it
checks that nothing scrolls sideways and that every touch target is at least 44×44 px.
"""

import datetime
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from kiosk.models import Claim, Product, Store, Variant
from kiosk.services.tablets import TABLET_COOKIE, pin_set, tablet_sign_in
from tests.browser.conftest import SCREENSHOTS, TARGET_PX, TARGETS_SCRIPT, sign
from tests.images import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)

MOST_INTERACTIONS = 18
SIZES = {"tablet-portrait": (820, 1180), "tablet-landscape": (1180, 820), "phone": (390, 844)}


class Counter:
    """The associate's hands: each action is counted, and each new page is checked."""

    def __init__(self, page: Page):
        self.page = page
        self.count = 0
        self.problems: list[str] = []

    def tap(self, locator: Locator) -> None:
        self.count += 1
        locator.click()

    def type(self, selector: str, text: str) -> None:
        self.count += 1
        self.page.fill(selector, text)

    def scan(self, code: str) -> None:
        """A hardware scanner types the code and Enter into the focused field."""
        self.count += 1
        self.page.keyboard.type(code, delay=5)
        self.page.keyboard.press("Enter")

    def pick(self, selector: str, path) -> None:
        self.count += 1
        self.page.set_input_files(selector, path)

    def draw_signature(self) -> None:
        self.count += 1
        sign(self.page)

    def check_page(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state()
        sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if sideways > 0:
            self.problems.append(f"{name}: scrolls sideways by {sideways} px")
        for target in page.evaluate(TARGETS_SCRIPT, TARGET_PX):
            self.problems.append(f"{name}: {target}")


@pytest.fixture
def counter_tablet(new_context, live_server, request, associate, manager, store):
    width, height = SIZES[request.param]
    store.default_state = "US-NY"
    store.default_resolution = "RESHIP"  # the store's usual resolution, chosen already
    store.save()
    pin_set(user=associate, pin="4821", by=manager)
    _, cookie = tablet_sign_in(store=store, name="Counter 1", manager=manager)
    context = new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": height},
        device_scale_factor=2,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": TABLET_COOKIE, "value": cookie, "url": live_server.url}])
    return context.new_page()


@pytest.mark.parametrize("counter_tablet", list(SIZES), indirect=True)
def test_a_standard_claim_from_the_locked_screen_in_at_most_18_interactions(
    counter_tablet: Page, request, tmp_path, api_to_sandbox, media_server, screenshot, settings
):
    settings.KIOSK_CONFIRMATION_SECONDS = 3
    page = counter_tablet
    size = request.node.callspec.params["counter_tablet"]
    item_photo, receipt_photo = tmp_path / "item.jpg", tmp_path / "receipt.jpg"
    item_photo.write_bytes(image_bytes("JPEG", size=(1200, 900)))
    receipt_photo.write_bytes(image_bytes("JPEG", size=(900, 1200), color="white"))
    # The store's catalog has the machine, with a picture the API's servers can fetch.
    picture = Path(settings.MEDIA_ROOT) / "catalog" / "espresso-machine.jpg"
    picture.parent.mkdir(parents=True, exist_ok=True)
    picture.write_bytes(image_bytes("JPEG", size=(600, 600)))
    machine = Product.objects.create(
        name="Espresso machine",
        source_product_id="7001",
        image_url=f"{media_server}/catalog/espresso-machine.jpg",
    )
    machine.stores.add(Store.objects.get())
    Variant.objects.create(
        product=machine,
        sku="EM-1",
        barcode="00012345678905",
        price="249.99",
        source_variant_id="9001",
    )
    hands = Counter(page)
    page.goto("/tablet/unlock/")
    hands.check_page("locked screen")
    screenshot(page, f"{size}-locked")

    hands.tap(page.get_by_role("link", name="Alex"))
    hands.check_page("PIN pad")
    hands.type("#id_pin", "4821")  # unlocks at the last digit
    expect(page.get_by_test_id("new-claim")).to_be_visible()
    hands.check_page("start screen")
    screenshot(page, f"{size}-start")

    hands.type("#id_ship_first_name", "Dana")
    hands.type("#id_ship_last_name", "Reyes")
    hands.type("#id_customer_email", "dana.reyes@example.com")
    hands.type("#id_customer_phone", "(212) 555-0147")
    hands.tap(page.get_by_role("button", name="Start a new claim"))
    expect(page).to_have_url(re.compile(r"/steps/item/$"))
    hands.check_page("item")

    hands.scan("012345678905")
    expect(page.locator("#id_item_price")).to_have_value("249.99")
    hands.pick("#id_item_photos", item_photo)
    expect(page.get_by_test_id("attachments-item").locator("img")).to_have_count(1)
    # What is wrong, on the same page; what the customer wants is the store's usual.
    hands.tap(page.locator("label[for=id_issue_type_0]"))
    expect(page.locator("input[name=resolution][value=RESHIP]")).to_be_checked()
    purchased = datetime.date.today() - datetime.timedelta(days=30)
    hands.type("#id_date_of_purchase", f"{purchased:%Y-%m-%d}")
    hands.pick("#id_receipt_photos", receipt_photo)
    expect(page.get_by_test_id("attachments-receipt").locator("img")).to_have_count(1)
    screenshot(page, f"{size}-item")
    hands.tap(page.get_by_test_id("next"))
    expect(page).to_have_url(re.compile(r"/steps/address/$"))
    hands.check_page("address")

    hands.type("#id_ship_address1", "123 Main St")
    hands.type("#id_ship_zip", "10001")
    expect(page.locator("#id_ship_city")).to_have_value("New York")  # from the ZIP code
    screenshot(page, f"{size}-address")
    hands.tap(page.get_by_test_id("next"))
    expect(page).to_have_url(re.compile(r"/steps/review/$"))
    hands.check_page("review")

    hands.draw_signature()
    screenshot(page, f"{size}-review-signed")
    hands.tap(page.get_by_test_id("submit-claim"))
    expect(page.get_by_test_id("claim-number")).to_be_visible()
    hands.check_page("result")
    screenshot(page, f"{size}-result")
    # The confirmation stays up a while, then the tablet is ready for the next customer.
    expect(page.get_by_test_id("new-claim")).to_be_visible(timeout=10_000)

    claim = Claim.objects.get()
    assert claim.status == Claim.Status.FILED and claim.ship_state == "US-NY"
    assert (claim.issue_type, claim.resolution) == ("DEFECTIVE_ITEM", "RESHIP")
    assert (claim.ship_city, claim.date_of_purchase) == ("New York", purchased)
    # What OrderProtection got for the scanned item: the catalog's identity of it.
    (filed,) = [r for r in api_to_sandbox.received if r.method == "POST"]
    item = filed.body_json["item"]
    assert {key: item[key] for key in ("name", "sku", "sourceProductId", "sourceVariantId")} == {
        "name": "Espresso machine",
        "sku": "EM-1",
        "sourceProductId": "7001",
        "sourceVariantId": "9001",
    }
    assert item["price"] == 249.99
    assert item["productImage"] == f"{media_server}/catalog/espresso-machine.jpg"
    assert filed.fetched_images[item["productImage"]]  # the sandbox fetched the picture
    SCREENSHOTS.parent.joinpath(f"interactions-{size}.json").write_text(
        json.dumps({"size": size, "interactions": hands.count, "problems": hands.problems})
    )
    assert hands.problems == []
    assert hands.count <= MOST_INTERACTIONS, hands.count
