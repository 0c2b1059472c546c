"""Markup typed by someone at the counter is shown as text; no script ever runs."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_desk import admin_log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
XSS = '<img src=x onerror=alert(1)><script>alert("x")</script>'


def test_markup_in_every_customer_field_opens_no_dialog(
    associate_tablet: Page, tablet_context, screenshot
):
    dialogs = []
    page = associate_tablet
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for field in ("#id_ship_first_name", "#id_ship_last_name"):
        page.fill(field, XSS)
    page.fill("#id_customer_email", "dana@example.com")
    page.get_by_role("button", name="Start a new claim").click()
    expect(page).to_have_url(re.compile(r"/steps/item/$"))
    page.fill("#id_item_name", XSS)
    page.fill("#id_item_details", XSS)
    page.get_by_test_id("next").click()
    reference = page.url.split("/claims/")[1].split("/")[0]

    for url in ("/", f"/claims/{reference}/steps/review/", f"/claims/{reference}/steps/item/"):
        page.goto(url)
        expect(page.locator("body")).to_contain_text("<img src=x onerror=alert(1)>")
    screenshot(page, "item-with-markup")
    desk = tablet_context.new_page()
    desk.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    admin_log_in(desk, UserFactory(username="boss", is_staff=True, is_superuser=True).username)
    desk.goto("/admin/kiosk/claim/?drafts=only")
    expect(desk.locator("#result_list")).to_contain_text("<img src=x onerror=alert(1)>")
    screenshot(desk, "desk-with-markup")
    page.wait_for_timeout(300)

    assert dialogs == []
