"""The PIN pad unlocks at the PIN's last digit, however the digits come, and only once."""

import pytest
from playwright.sync_api import Page, expect

from kiosk.models import AssociatePin
from tests.browser.conftest import PIN, sign_in_tablet

pytestmark = pytest.mark.django_db(transaction=True)


def pin_posts(page: Page) -> list[str]:
    """The PINs the page sends from here on, one entry per POST."""
    sent: list[str] = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.post_data or "")
            if request.method == "POST" and "/tablet/unlock/" in request.url
            else None
        ),
    )
    return sent


def open_pad(page: Page) -> None:
    page.get_by_role("link", name="Alex").click()
    expect(page.locator("[data-pin-pad]")).to_be_visible()


@pytest.mark.parametrize("how", ["pad", "keyboard", "fill"])
def test_the_last_digit_unlocks_without_a_tap_on_unlock(
    tablet: Page, manager, associate, pins, how, screenshot
):
    sign_in_tablet(tablet, manager)
    sent = pin_posts(tablet)
    open_pad(tablet)
    pin = tablet.locator("#id_pin")
    expect(pin).to_have_attribute("aria-describedby", "pin-hint")
    expect(tablet.locator("#pin-hint")).to_contain_text("It unlocks at the last digit.")

    if how == "pad":
        for digit in PIN:
            tablet.locator(f"[data-digit='{digit}']").click()
    elif how == "keyboard":
        pin.press_sequentially(PIN)
    else:
        pin.fill(PIN)  # a paste, or the browser filling it in

    expect(tablet.get_by_role("heading", name="File a warranty claim")).to_be_visible()
    screenshot(tablet, f"unlocked-by-{how}")
    assert len(sent) == 1 and f"pin={PIN}" in sent[0]


def test_a_wrong_pin_shows_its_error_once_with_the_field_empty_and_focused(
    tablet: Page, manager, associate, pins, screenshot
):
    sign_in_tablet(tablet, manager)
    sent = pin_posts(tablet)
    open_pad(tablet)

    for digit in "0000":
        tablet.locator(f"[data-digit='{digit}']").click()

    expect(tablet.get_by_role("alert")).to_contain_text("That PIN is not right")
    pin = tablet.locator("#id_pin")
    expect(pin).to_have_value("")
    expect(pin).to_be_focused()
    screenshot(tablet, "wrong-pin")
    # The right PIN next: two PINs sent in all, the wrong one was not sent again.
    for digit in PIN:
        tablet.locator(f"[data-digit='{digit}']").click()
    expect(tablet.get_by_role("heading", name="File a warranty claim")).to_be_visible()
    assert [post.count("pin=0000") for post in sent] == [1, 0]


def test_a_pin_of_unknown_length_waits_for_unlock(
    tablet: Page, manager, associate, pins, screenshot
):
    AssociatePin.objects.filter(user=associate).update(length=None)  # set before it was kept
    sign_in_tablet(tablet, manager)
    sent = pin_posts(tablet)
    open_pad(tablet)
    tablet.evaluate(
        "window.submits = 0;"
        "document.querySelector('[data-pin-form]')"
        ".addEventListener('submit', () => window.submits++)"
    )

    for digit in PIN:
        tablet.locator(f"[data-digit='{digit}']").click()

    # The form's submit event would have fired during the last tap: nothing was sent.
    assert tablet.evaluate("window.submits") == 0
    expect(tablet.locator("#id_pin")).to_have_value(PIN)
    screenshot(tablet, "waiting-for-unlock")
    tablet.get_by_test_id("unlock").click()
    expect(tablet.get_by_role("heading", name="File a warranty claim")).to_be_visible()
    assert len(sent) == 1
