"""The Item step with the store's catalog: picking a variant, what the claim and the API
body then carry, and the two endpoints the tablet searches with."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kiosk.delivery.payload import claim_payload
from kiosk.models import Claim, ClaimAttachment, Product, Variant
from kiosk.services.tablets import TABLET_COOKIE, tablet_sign_in
from tests.conftest import attach, step_form
from tests.factories import StoreFactory
from tests.images import image_bytes, uploaded_image
from tests.test_views import VALID_STEPS, start_claim, step_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def headphones(store):
    product = Product.objects.create(
        name="Wireless Headphones",
        source_product_id="7001",
        image_url="https://cdn.example.com/wh.jpg",
        warranty_period="P2Y",
    )
    product.stores.add(store)
    return Variant.objects.create(
        product=product,
        title="Black",
        sku="WH-100-BLK",
        barcode="00012345678905",
        price=Decimal("99.99"),
        source_variant_id="9001",
    )


def item_post(variant_id, **fields):
    return VALID_STEPS["item"] | {"catalog_variant": variant_id, "nav": "next"} | fields


def test_picking_a_variant_sends_its_ids_picture_and_warranty_period(
    associate_client, store, headphones
):
    claim = start_claim(associate_client, store)
    attach(claim, ClaimAttachment.Kind.ITEM, image_bytes("JPEG"))

    response = associate_client.post(
        step_url(claim, "item"),
        item_post(headphones.pk, item_name="Wireless Headphones – Black", item_sku="WH-100-BLK"),
    )

    assert response.url == step_url(claim, "address")  # the item's page holds the warranty
    claim.refresh_from_db()
    assert claim.catalog_variant == headphones
    assert claim.warranty_period == "P2Y"  # the product's, not the store's P1Y
    item = claim_payload(claim=claim, file_url=lambda a: f"https://media/{a.pk}")["item"]
    assert item["sourceProductId"] == "7001"
    assert item["sourceVariantId"] == "9001"
    assert item["productImage"] == "https://cdn.example.com/wh.jpg"
    assert item["sku"] == "WH-100-BLK"
    assert item["price"] == float(VALID_STEPS["item"]["item_price"])


def test_a_photo_of_the_product_taken_at_the_counter_wins_over_the_catalog_s(
    associate_client, store, headphones
):
    claim = start_claim(associate_client, store)
    associate_client.post(
        step_url(claim, "item"),
        item_post(headphones.pk, item_photos=[uploaded_image()], product_image=uploaded_image()),
    )
    claim.refresh_from_db()
    (product_photo,) = claim.attachments_of(ClaimAttachment.Kind.PRODUCT)

    item = claim_payload(claim=claim, file_url=lambda a: f"https://media/{a.pk}")["item"]

    assert item["productImage"] == f"https://media/{product_photo.pk}"


def test_not_this_product_clears_the_ids_and_keeps_what_was_typed(
    associate_client, store, headphones
):
    claim = start_claim(associate_client, store)
    attach(claim, ClaimAttachment.Kind.ITEM, image_bytes("JPEG"))
    associate_client.post(step_url(claim, "item"), item_post(headphones.pk))

    associate_client.post(step_url(claim, "item"), item_post("", item_name="Old kettle"))

    claim.refresh_from_db()
    assert (claim.catalog_variant, claim.item_name) == (None, "Old kettle")
    assert (claim.item_source_product_id, claim.item_source_variant_id) == ("", "")
    assert claim.item_product_image_url == ""
    item = claim_payload(claim=claim, file_url=lambda a: "https://media/x")["item"]
    assert not {"sourceProductId", "sourceVariantId", "productImage"} & set(item)


def test_the_warranty_period_changed_by_the_associate_stays_when_the_item_is_saved_again(
    associate_client, store, headphones
):
    claim = start_claim(associate_client, store)
    attach(claim, ClaimAttachment.Kind.ITEM, image_bytes("JPEG"))
    associate_client.post(step_url(claim, "item"), item_post(headphones.pk))
    Claim.objects.filter(pk=claim.pk).update(warranty_period="P6M")

    associate_client.post(step_url(claim, "item"), item_post(headphones.pk, item_price="80"))

    claim.refresh_from_db()
    assert (claim.warranty_period, claim.item_price) == ("P6M", Decimal("80"))


def test_another_store_s_product_is_refused_where_it_was_picked_and_the_rest_is_kept(
    associate_client, store
):
    elsewhere = Product.objects.create(name="Not sold here")
    elsewhere.stores.add(StoreFactory())
    variant = Variant.objects.create(product=elsewhere, sku="NOPE")
    claim = start_claim(associate_client, store)

    response = associate_client.post(
        step_url(claim, "item"), item_post(variant.pk, item_name="Typed name")
    )

    assert response.status_code == 200
    assert step_form(response, "item").errors["catalog_variant"] == [
        "That product is no longer in this store's catalog: find it again, or type it in."
    ]
    assert b'href="#catalog-query"' in response.content  # the search box takes the focus
    assert b"Typed name" in associate_client.get(step_url(claim, "item")).content
    claim.refresh_from_db()
    assert claim.catalog_variant is None


def test_the_item_step_has_the_search_and_no_id_fields(associate_client, store):
    claim = start_claim(associate_client, store)

    page = associate_client.get(step_url(claim, "item")).content.decode()

    assert 'role="combobox"' in page
    assert reverse("kiosk:catalog-search", args=[claim.reference]) in page
    for gone in ("item_source_product_id", "item_source_variant_id", "item_source_item_id"):
        assert f'name="{gone}"' not in page
    assert 'name="item_sub_issue_id"' not in page
    assert 'type="hidden" name="catalog_variant"' in page


def test_search_answers_for_the_claim_s_store_in_json(associate_client, store, headphones):
    claim = start_claim(associate_client, store)
    url = reverse("kiosk:catalog-search", args=[claim.reference])

    body = associate_client.get(url, {"q": "012345678905"}).json()

    assert body["query"] == "012345678905"
    (found,) = body["results"]
    assert (found["id"], found["price"], found["exact"]) == (headphones.pk, "99.99", True)


@pytest.fixture
def tablet_client(client, store, manager, associate):
    tablet, secret = tablet_sign_in(store=store, name="Counter 1", manager=manager)
    client.cookies[TABLET_COOKIE] = secret
    client.force_login(associate)
    return client


def test_the_tablet_copy_is_its_store_s_catalog_and_is_not_sent_again_unchanged(
    tablet_client, headphones
):
    url = reverse("kiosk:catalog-copy")
    first = tablet_client.get(url)
    body = first.json()
    assert [e["sku"] for e in body["entries"]] == ["WH-100-BLK"]
    assert first["ETag"] == f'"{body["version"]}"'
    assert "private" in first["Cache-Control"]

    again = tablet_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304

    headphones.price = Decimal("89.99")
    headphones.save()
    changed = tablet_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed.json()["entries"][0]["price"] == "89.99"


def test_the_copy_is_only_for_a_store_s_tablet(associate_client, headphones):
    assert associate_client.get(reverse("kiosk:catalog-copy")).status_code == 404
