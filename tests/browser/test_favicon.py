"""Every page names its icon, and nothing a page asks for is missing (no 404 in the log)."""

import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_page_asks_for_a_missing_file(tablet: Page, associate, store):
    missing: list[str] = []

    def answered(response: Response) -> None:
        if response.status == 404:
            missing.append(response.url)

    tablet.on("response", answered)
    log_in(tablet, associate.username)
    tablet.get_by_role("button", name="Start a new claim").click()
    expect(tablet.get_by_test_id("claim-reference")).to_be_visible()
    reference = tablet.get_by_test_id("claim-reference").inner_text()
    tablet.goto(f"/claims/{reference}/steps/item/")
    icon = tablet.locator("link[rel=icon]").get_attribute("href")
    fetched = tablet.request.get(icon)
    asked = tablet.request.get("/favicon.ico")
    tablet.context.clear_cookies()
    desk = tablet.goto("/admin/login/")
    desk_icon = tablet.locator("link[rel=icon]").get_attribute("href")

    assert desk.status == 200
    assert fetched.status == 200 and fetched.headers["content-type"] == "image/svg+xml"
    assert asked.status == 200 and asked.url.endswith(icon)
    assert desk_icon == icon
    assert missing == [], missing
