"""What the tablet needs offline: the service worker's script, the offline page and the
blank shells of a claim's pages, which hold nobody's data."""

import json
import re

import pytest
from django.urls import reverse

from kiosk.offline_views import SHELL_REFERENCE
from tests.factories import ClaimFactory
from tests.test_tablets import signed_in_tablet, unlock  # noqa: F401

pytestmark = pytest.mark.django_db
SHELLS = [reverse("kiosk:step-shell", args=[slug]) for slug in ("customer", "item", "address")] + [
    reverse("kiosk:review-shell"),
    reverse("kiosk:home-shell"),
    reverse("kiosk:result-shell"),
]


@pytest.fixture
def unlocked(client, signed_in_tablet, associate):  # noqa: F811
    assert unlock(client, associate).status_code == 302
    return client


@pytest.mark.parametrize("url", SHELLS)
def test_each_shell_is_a_blank_page_for_the_reference_to_be_put_in(unlocked, associate, url):
    earlier = ClaimFactory(store=associate.stores.get(), created_by=associate)
    response = unlocked.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-offline-shell" in page
    if url != reverse("kiosk:home-shell"):
        assert SHELL_REFERENCE in page
    # Nobody's data: not the associate's earlier claim, not its customer.
    assert earlier.reference not in page
    assert earlier.customer_email not in page
    # Nor the token that sends what waits: the shells sit in the browser's cache.
    assert "data-outbox-token" not in page
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_item_s_shell_holds_the_issue_and_the_warranty_which_have_none(unlocked):
    page = unlocked.get(reverse("kiosk:step-shell", args=["item"])).content.decode()
    for field in ("item_name", "issue_type", "resolution", "date_of_purchase", "receipt_photos"):
        assert f'name="{field}"' in page, field
    for slug in ("issue", "warranty"):
        assert unlocked.get(reverse("kiosk:step-shell", args=[slug])).status_code == 404


def test_a_shell_needs_a_tablet(associate_client):
    assert associate_client.get(SHELLS[0]).status_code == 404


def test_the_service_worker_names_the_shells_and_the_assets_it_keeps(client):
    response = client.get("/service-worker.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    config = json.loads(re.match(r"self\.KIOSK = (.*);\n", response.content.decode()).group(1))
    assert sorted(config["shells"].values()) == sorted(SHELLS)
    assert config["pages"] == ["customer", "item", "address", "review"]
    assert reverse("kiosk:offline") in config["precache"]
    assert config["outboxUrl"] == reverse("kiosk:outbox")


def test_the_offline_page_names_nobody(unlocked, associate):
    response = unlocked.get(reverse("kiosk:offline"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "No connection to the portal" in page
    assert associate.get_full_name() not in page
    assert "data-outbox-token" not in page


def test_the_review_shell_holds_what_the_customer_reads_in_each_language(unlocked, associate):
    page = unlocked.get(reverse("kiosk:review-shell")).content.decode()
    found = re.search(r'<script id="customer-words" type="application/json">(.*?)</script>', page)
    words = json.loads(found.group(1))
    assert sorted(words) == ["en-us", "es-us"]
    assert (words["en-us"]["lang"], words["es-us"]["lang"]) == ("en", "es")
    assert words["en-us"]["titles"]["address"] == "Shipping address"
    assert words["es-us"]["titles"]["address"] == "Dirección de envío"
    assert words["en-us"]["labels"]["customer"]["customer_email"][0] == "Email"
    assert words["es-us"]["labels"]["customer"]["customer_email"][0] == "Correo electrónico"
    assert words["es-us"]["words"]["item_photo"] == "Foto del artículo"
    # The signature block, once in each language, for the script to show the claim's.
    english = re.search(r'<template data-customer-signature="en-us">(.*?)</template>', page, re.S)
    spanish = re.search(r'<template data-customer-signature="es-us">(.*?)</template>', page, re.S)
    assert 'lang="en"' in english.group(1)
    assert "The customer's signature" in english.group(1)
    assert "Sign above the line" in english.group(1)
    assert 'lang="es"' in spanish.group(1)
    assert "Firme sobre la línea" in spanish.group(1)
    assert "Firma del cliente" in spanish.group(1)
    # The associate's own words stay theirs (English here), the toggle is on the page.
    assert "Submit claim" in page
    assert 'data-testid="customer-language"' in page
