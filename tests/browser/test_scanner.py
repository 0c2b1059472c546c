"""The camera's barcode scanner (static/kiosk/scanner.js) in Chromium, whose fake camera
shows a video of tests.barcode_video.CAMERA_BARCODE (tests/browser/conftest.py).

The scanner is tried on a page of its own, served through Playwright on live_server's
origin under the portal's Content-Security-Policy (no 'wasm-unsafe-eval'): it loads the
scanner as the Item step will, through templates/kiosk/includes/scanner.html.
"""

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.csp import build_policy
from django.utils.html import json_script
from playwright.sync_api import Page, Route, expect

from kiosk.js_strings import JS_STRINGS
from tests.barcode_video import CAMERA_BARCODE

PAGE_PATH = "/scanner-test/"

# The browser's own BarcodeDetector taken away before any script runs: the polyfill reads.
WITHOUT_NATIVE_DETECTOR = "delete window.BarcodeDetector;"
# A native detector that never finds a barcode: the dialog stays open on the camera.
NATIVE_DETECTOR_THAT_SEES_NOTHING = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["ean_13", "ean_8", "upc_a", "upc_e"]; }
  async detect() { return []; }
};
"""
# A native detector that reads a code from the camera's video.
NATIVE_DETECTOR_THAT_READS = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["ean_13", "ean_8", "upc_a", "upc_e"]; }
  async detect(source) {
    window.detectedFrom = source.constructor.name;
    return [{ rawValue: "%s", format: "ean_13" }];
  }
};
"""
CAMERA_REFUSED = """
navigator.mediaDevices.getUserMedia = () =>
  Promise.reject(new DOMException("Permission denied", "%s"));
"""
SCAN = """() => {
  window.scanned = null;
  window.closedWithoutCode = false;
  document.getElementById("scan").focus();
  KioskScanner.scan({
    onCode: (code, format) => { window.scanned = { code, format }; },
    onClose: () => { window.closedWithoutCode = true; },
  });
}"""
TRACK_STATES = "() => KioskScanner.state.tracks.map((track) => track.readyState)"


def scanner_page_html() -> str:
    # The page's words for scripts (kiosk/js_strings.py), as base.html gives every page.
    strings = json_script(JS_STRINGS, "kiosk-strings")
    assets = f'{strings}<script src="/static/kiosk/strings.js"></script>' + render_to_string(
        "kiosk/includes/scanner.html"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Item</title>
<link rel="stylesheet" href="/static/vendor/bootstrap/css/bootstrap.min.css"></head>
<body><main class="container py-4"><h1>The item</h1>
<label class="form-label" for="search">Name, SKU or barcode</label>
<input class="form-control form-control-lg" id="search">
<button type="button" class="btn btn-primary btn-lg mt-3" id="scan">Scan a barcode</button>
</main>{assets}</body></html>"""


@pytest.fixture
def scanner_page(tablet: Page, live_server):
    """Opens the scanner's page; the init scripts given run before the page's own."""

    def fulfil(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": build_policy(settings.SECURE_CSP)},
            body=scanner_page_html(),
        )

    tablet.route(f"{live_server.url}{PAGE_PATH}", fulfil)

    def open_page(*init_scripts: str) -> Page:
        for script in init_scripts:
            tablet.add_init_script(script)
        tablet.goto(PAGE_PATH)
        tablet.wait_for_function("() => window.KioskScanner")
        return tablet

    return open_page


def scanned_code(page: Page) -> dict:
    page.evaluate(SCAN)
    return page.wait_for_function("() => window.scanned", timeout=20_000).json_value()


def test_the_scanner_reads_the_cameras_barcode_with_the_polyfill(scanner_page):
    page = scanner_page(WITHOUT_NATIVE_DETECTOR)

    assert scanned_code(page) == {"code": CAMERA_BARCODE, "format": "ean_13"}
    assert page.evaluate("KioskScanner.state.decoder") == "polyfill"
    expect(page.get_by_test_id("barcode-scanner")).to_be_hidden()
    assert page.evaluate(TRACK_STATES) == ["ended"]
    expect(page.locator("#scan")).to_be_focused()


def test_the_scanner_reads_with_the_browsers_own_detector_where_it_has_one(scanner_page):
    # Linux Chromium has no BarcodeDetector (an iPad's Safari and Android's Chrome do): one
    # that reads the code stands in for it, so the scanner is seen to prefer it.
    page = scanner_page(NATIVE_DETECTOR_THAT_READS % CAMERA_BARCODE)

    assert scanned_code(page) == {"code": CAMERA_BARCODE, "format": "ean_13"}
    assert page.evaluate("KioskScanner.state.decoder") == "native"
    assert page.evaluate("window.detectedFrom") == "HTMLVideoElement"
    assert page.evaluate(TRACK_STATES) == ["ended"]


def test_the_scanner_dialog_closes_on_type_it_instead_and_stops_the_camera(
    scanner_page, screenshot
):
    page = scanner_page(NATIVE_DETECTOR_THAT_SEES_NOTHING)
    page.evaluate(SCAN)
    dialog = page.get_by_role("dialog", name="Scan the barcode")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("status")).to_have_text(
        "Hold the barcode inside the frame, about a hand's width from the camera."
    )
    page.wait_for_function("() => document.querySelector('dialog video').videoWidth > 0")
    assert page.evaluate(TRACK_STATES) == ["live"]
    screenshot(page, "scanner-open")

    close = dialog.get_by_role("button", name="Type it instead")
    assert close.bounding_box()["height"] >= 44
    close.click()

    expect(dialog).to_be_hidden()
    assert page.evaluate("window.closedWithoutCode") is True
    assert page.evaluate("window.scanned") is None
    assert page.evaluate(TRACK_STATES) == ["ended"]
    expect(page.locator("#scan")).to_be_focused()


def test_escape_closes_the_scanner_and_stops_the_camera(scanner_page):
    page = scanner_page(NATIVE_DETECTOR_THAT_SEES_NOTHING)
    page.evaluate(SCAN)
    page.wait_for_function("() => KioskScanner.state.tracks.length === 1")
    expect(page.get_by_role("dialog", name="Scan the barcode")).to_be_visible()

    page.keyboard.press("Escape")

    expect(page.get_by_role("dialog", name="Scan the barcode")).to_be_hidden()
    # Told once the dialog's close event has run, which may come after it is hidden.
    page.wait_for_function("() => window.closedWithoutCode === true")
    assert page.evaluate(TRACK_STATES) == ["ended"]


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ("NotAllowedError", "The portal is not allowed to use the camera."),
        ("NotFoundError", "This tablet has no camera the portal can use."),
    ],
)
def test_the_scanner_says_why_the_camera_cannot_be_used(scanner_page, screenshot, error, message):
    page = scanner_page(CAMERA_REFUSED % error)
    page.evaluate(SCAN)

    dialog = page.get_by_role("dialog", name="Scan the barcode")
    expect(dialog.get_by_role("status")).to_contain_text(message)
    expect(dialog.locator("video")).to_be_hidden()
    screenshot(page, f"scanner-{error}")
    dialog.get_by_role("button", name="Type it instead").click()
    expect(dialog).to_be_hidden()


def test_the_scanner_asks_for_https_on_a_page_that_is_not_secure(tablet: Page, live_server):
    """An http:// page on a name other than localhost has no camera: the scanner says so."""
    insecure = "http://counter.kiosk.test"

    def from_live_server(route: Route) -> None:
        path = route.request.url.removeprefix(insecure)
        if path == PAGE_PATH:
            route.fulfill(status=200, content_type="text/html", body=scanner_page_html())
        else:
            route.fulfill(response=route.fetch(url=live_server.url + path))

    tablet.route(f"{insecure}/**", from_live_server)
    tablet.goto(insecure + PAGE_PATH)
    tablet.wait_for_function("() => window.KioskScanner")
    assert tablet.evaluate("window.isSecureContext") is False
    assert tablet.evaluate("KioskScanner.supported()") is False

    tablet.evaluate(SCAN)

    expect(tablet.get_by_role("status")).to_have_text(
        "The camera only works when the portal is opened with https://. "
        "Type the barcode's digits instead."
    )


def test_the_printed_barcode_sheet_shows_only_the_labels(
    tablet: Page, admin_user, store, screenshot
):
    from kiosk.barcodes import gtin14
    from kiosk.models import Product, Variant
    from tests.browser.conftest import PASSWORD

    for name, code in [("Trail Kettle", "4006381333931"), ("Desk Lamp", "036000291452")]:
        product = Product.objects.create(name=name)
        product.stores.add(store)
        Variant.objects.create(product=product, barcode=gtin14(code), sku=name[:4].upper())
    admin_user.set_password(PASSWORD)
    admin_user.save()
    tablet.goto("/accounts/login/")
    tablet.fill("#id_username", admin_user.username)
    tablet.fill("#id_password", PASSWORD)
    tablet.get_by_role("button", name="Log in").click()
    tablet.goto("/admin/barcodes/")
    tablet.emulate_media(media="print")

    expect(tablet.get_by_role("img", name="Barcode 4006381333931")).to_be_visible()
    expect(tablet.get_by_role("img", name="Barcode 036000291452")).to_be_visible()
    expect(tablet.get_by_role("combobox", name="Store")).to_be_hidden()
    screenshot(tablet, "barcode-sheet-printed")
