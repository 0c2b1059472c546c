"""Finding the product on the Item step, in Chromium: search and tap, a hardware scanner's
keystrokes, and the tablet's copy of the catalog with the Wi-Fi gone."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from kiosk.models import Claim, Product, Variant
from tests.barcode_video import CAMERA_BARCODE
from tests.browser.conftest import Photos
from tests.browser.test_offline import fill_customer, unlock, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalog(store):
    headphones = Product.objects.create(
        name="Wireless Headphones", source_product_id="7001", warranty_period="P2Y"
    )
    kettle = Product.objects.create(name="Electric Kettle", source_product_id="7002")
    for product in (headphones, kettle):
        product.stores.add(store)
    return {
        "black": Variant.objects.create(
            product=headphones,
            title="Black",
            sku="WH-100-BLK",
            barcode="00012345678905",
            price=Decimal("99.99"),
            source_variant_id="9001",
        ),
        "white": Variant.objects.create(
            product=headphones,
            title="White",
            sku="WH-100-WHT",
            barcode="04006381333931",
            price=Decimal("99.99"),
            source_variant_id="9002",
        ),
        "kettle": Variant.objects.create(
            product=kettle, sku="KT-2", price=Decimal("39.50"), source_variant_id="9003"
        ),
    }


def start_item_step(page: Page, photos: Photos | None = None) -> Claim:
    """A new claim on its Item step; with `photos`, the item's photo is uploaded first (the
    step saves in the background once it is complete)."""
    fill_customer(page)
    page.get_by_role("button", name="Start a new claim").click()
    expect(page).to_have_url(re.compile(r"/steps/item/$"))
    if photos:
        page.set_input_files("#id_item_photos", photos.item)
        tiles = page.get_by_test_id("attachments-item").locator(".attachment img")
        expect(tiles).to_have_count(1)
        page.get_by_test_id("catalog-query").focus()
    return Claim.objects.get()


def expect_filled(page: Page, name: str, sku: str, price: str) -> None:
    expect(page.locator("#id_item_name")).to_have_value(name)
    expect(page.locator("#id_item_sku")).to_have_value(sku)
    expect(page.locator("#id_item_price")).to_have_value(price)
    expect(page.get_by_test_id("catalog-picked")).to_contain_text(f"From the catalog: {name}")


def test_typing_part_of_a_name_lists_the_products_and_a_tap_fills_the_item(
    tablet: Page, manager, associate, pins, catalog, photos: Photos, screenshot
):
    page = tablet
    unlock(page, manager)
    claim = start_item_step(page, photos)
    query = page.get_by_test_id("catalog-query")

    query.press_sequentially("headph", delay=30)
    options = page.get_by_role("listbox", name="Products found").get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.first).to_contain_text("Wireless Headphones – Black")
    expect(options.first).to_contain_text("SKU WH-100-BLK · 99.99")
    expect(page.get_by_role("status").filter(has_text="products found")).to_have_text(
        "2 products found."
    )
    screenshot(page, "catalog-results")
    options.nth(1).click()

    expect_filled(page, "Wireless Headphones – White", "WH-100-WHT", "99.99")
    expect(page.locator("#id_item_details")).to_be_focused()
    expect(page.get_by_test_id("catalog-results")).to_be_hidden()
    screenshot(page, "catalog-picked")
    wait_until(lambda: Claim.objects.get(pk=claim.pk).catalog_variant == catalog["white"])
    claim.refresh_from_db()
    assert (claim.item_source_variant_id, claim.warranty_period) == ("9002", "P2Y")

    # "Not this product": the ids go, what was typed stays.
    page.get_by_role("button", name="Not this product").click()
    expect(page.get_by_test_id("catalog-picked")).to_be_hidden()
    wait_until(lambda: Claim.objects.get(pk=claim.pk).catalog_variant is None)
    expect(page.locator("#id_item_name")).to_have_value("Wireless Headphones – White")


def test_the_keyboard_picks_a_result_as_the_listbox_pattern_has_it(
    tablet: Page, manager, associate, pins, catalog
):
    page = tablet
    unlock(page, manager)
    start_item_step(page)
    query = page.get_by_test_id("catalog-query")
    expect(query).to_be_focused()  # ready for a scanner or typing, no tap needed

    query.press_sequentially("kettle", delay=30)
    expect(page.get_by_role("listbox", name="Products found").get_by_role("option")).to_have_count(
        1
    )
    query.press("ArrowDown")
    expect(query).to_have_attribute("aria-activedescendant", "catalog-option-0")
    expect(
        page.get_by_role("listbox", name="Products found").get_by_role("option").first
    ).to_have_attribute("aria-selected", "true")
    query.press("Enter")

    expect_filled(page, "Electric Kettle", "KT-2", "39.50")
    expect(page).to_have_url(re.compile(r"/steps/item/$"))  # Enter did not submit the step


def test_a_hardware_scanner_s_code_and_enter_fill_the_item_at_once(
    tablet: Page, manager, associate, pins, catalog, photos: Photos
):
    page = tablet
    unlock(page, manager)
    claim = start_item_step(page, photos)

    # A USB scanner types fast into the focused field and ends with Enter; this one sends
    # the UPC-A, the catalog has it as a GTIN-14.
    page.keyboard.type("012345678905", delay=5)
    page.keyboard.press("Enter")

    expect_filled(page, "Wireless Headphones – Black", "WH-100-BLK", "99.99")
    expect(page).to_have_url(re.compile(r"/steps/item/$"))
    wait_until(lambda: Claim.objects.get(pk=claim.pk).catalog_variant == catalog["black"])

    # A code that is not in the catalog says so, and nothing is picked.
    page.get_by_test_id("catalog-query").fill("4006381333900")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Nothing")).to_have_text(
        "Nothing in the catalog for “4006381333900”: check it, or type the item in below."
    )


def test_the_camera_reads_the_barcode_and_fills_the_item(
    tablet_context: BrowserContext, tablet: Page, manager, associate, pins, catalog, screenshot
):
    # Chromium's fake camera shows CAMERA_BARCODE, the white headphones' EAN-13.
    assert catalog["white"].barcode == CAMERA_BARCODE.zfill(14)
    tablet_context.grant_permissions(["camera"])
    page = tablet
    unlock(page, manager)
    start_item_step(page)

    page.get_by_role("button", name="Scan with the camera").click()
    dialog = page.get_by_role("dialog", name="Scan the barcode")
    expect(dialog).to_be_visible()
    screenshot(page, "camera-dialog")

    expect(dialog).to_be_hidden(timeout=20_000)
    expect_filled(page, "Wireless Headphones – White", "WH-100-WHT", "99.99")
    assert page.evaluate("KioskScanner.state.tracks.every((t) => t.readyState === 'ended')")


def test_offline_the_tablet_s_copy_of_the_catalog_answers(
    tablet_context: BrowserContext, tablet: Page, manager, associate, pins, catalog, screenshot
):
    page = tablet
    unlock(page, manager)
    start_item_step(page)
    copied = """async () => {
        const db = await idb.openDB("kiosk-catalog", 1);
        const copies = await db.getAll("copies");
        return copies.length ? copies[0].entries.length : 0;
    }"""
    wait_until(lambda: page.evaluate(copied) == 3)

    tablet_context.set_offline(True)
    page.get_by_test_id("catalog-query").press_sequentially("white", delay=30)

    expect(page.get_by_role("listbox", name="Products found").get_by_role("option")).to_have_count(
        1
    )
    expect(page.get_by_role("status").filter(has_text="found")).to_have_text(
        "1 product found in this tablet's copy (offline)."
    )
    page.get_by_role("listbox", name="Products found").get_by_role("option").click()
    expect_filled(page, "Wireless Headphones – White", "WH-100-WHT", "99.99")
    screenshot(page, "catalog-offline")
    tablet_context.set_offline(False)
