"""What fits on the screen without scrolling: the Item page's Next, the review's signature
box, the sandbox banner on a phone, the claim number on one line."""

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from kiosk.models import Claim, ClaimAttachment
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import attach
from tests.factories import ClaimFactory
from tests.images import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)

TABLET = (820, 1180)
PHONE = (390, 844)


@pytest.fixture
def viewport_shot(request: pytest.FixtureRequest):
    """`viewport_shot(page, label)`: what the person sees without scrolling (the screenshot
    fixture takes the whole page), in test-artifacts/screenshots/<test>/viewport-<label>.png."""

    def take(page: Page, label: str) -> Path:
        return _viewport_shot(page, request.node.name, label)

    return take


def _viewport_shot(page: Page, test: str, label: str) -> Path:
    folder = SCREENSHOTS / test.replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"viewport-{label}.png"
    page.screenshot(path=path, scale="css", animations="disabled")
    return path


def in_view(page: Page, locator: Locator) -> dict:
    """The element's box at the top of the page, and whether all of it is in the viewport."""
    page.evaluate("window.scrollTo(0, 0)")
    box = locator.bounding_box()
    assert box is not None
    bottom = box["y"] + box["height"]
    return {"top": box["y"], "bottom": bottom, "fits": bottom <= page.viewport_size["height"]}


def draft_for_review(store, associate) -> Claim:
    """The standard claim, every step done but the customer's signature."""
    claim = ClaimFactory(
        store=store,
        created_by=associate,
        completed_steps=["customer", "item", "warranty", "address", "issue"],
    )
    attach(claim, ClaimAttachment.Kind.ITEM, image_bytes("JPEG"))
    attach(claim, ClaimAttachment.Kind.RECEIPT, image_bytes("JPEG", color="white"))
    return claim


def test_the_item_page_s_next_is_in_view_at_tablet_size(
    associate_tablet: Page, screenshot, viewport_shot
):
    page = associate_tablet
    page.set_viewport_size({"width": TABLET[0], "height": TABLET[1]})
    page.get_by_role("button", name="Start a new claim").click()
    reference = page.get_by_test_id("claim-reference").inner_text()
    page.goto(f"/claims/{reference}/steps/item/")

    next_button = in_view(page, page.get_by_test_id("next"))
    viewport_shot(page, "item")
    screenshot(page, "item")

    print("item page Next:", next_button)
    assert next_button["fits"], next_button
    page.get_by_test_id("next").click()  # reachable: nothing covers it
    expect(page.get_by_test_id("error-summary")).to_be_visible()


def test_the_review_s_signature_box_is_in_view_at_tablet_size(
    associate_tablet: Page, store, associate, screenshot, viewport_shot
):
    claim = draft_for_review(store, associate)
    page = associate_tablet
    page.set_viewport_size({"width": TABLET[0], "height": TABLET[1]})
    page.goto(f"/claims/{claim.reference}/steps/review/")
    expect(page.locator("canvas[data-signature-canvas]")).to_have_attribute("data-ready", "")

    signature = in_view(page, page.locator("canvas[data-signature-canvas]"))
    page_height = page.evaluate("document.documentElement.scrollHeight")
    viewport_shot(page, "review")
    screenshot(page, "review")

    print("review:", signature, "page height", page_height)
    assert signature["fits"], (signature, page_height)


def test_on_a_phone_the_sandbox_banner_takes_at_most_5_percent_or_scrolls_away(
    associate_tablet: Page, store, associate, screenshot, viewport_shot
):
    page = associate_tablet
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    page.get_by_role("button", name="Start a new claim").click()
    banner = page.get_by_test_id("sandbox-banner")
    height = banner.bounding_box()["height"]

    page.evaluate("window.scrollTo(0, 400)")
    box = banner.bounding_box()
    viewport_shot(page, "scrolled")

    on_screen = max(0, min(box["y"] + box["height"], PHONE[1]) - max(box["y"], 0))
    assert on_screen <= 0.05 * PHONE[1], (height, box)


@pytest.mark.parametrize("size", [TABLET, PHONE], ids=["tablet", "phone"])
def test_the_claim_number_stays_on_one_line(
    associate_tablet: Page, store, associate, size, viewport_shot
):
    claim = ClaimFactory(
        store=store,
        created_by=associate,
        status=Claim.Status.FILED,
        claim_number="CLM-2026-0004817",
    )
    page = associate_tablet
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"/claims/{claim.reference}/result/")
    number = page.get_by_test_id("claim-number")
    expect(number).to_have_text("CLM-2026-0004817")

    line_height = number.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    box = number.bounding_box()
    viewport_shot(page, "result")

    assert box["height"] <= line_height * 1.2, (box, line_height)
    assert box["x"] >= 0 and box["x"] + box["width"] <= size[0]
