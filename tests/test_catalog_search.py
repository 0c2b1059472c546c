from decimal import Decimal

import pytest

from kiosk.models import Product, Variant
from kiosk.selectors.catalog import catalog_copy, catalog_search
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


def add_product(store, name, *variants, image_url="", warranty_period=""):
    product = Product.objects.create(
        name=name, image_url=image_url, warranty_period=warranty_period
    )
    product.stores.add(store)
    return [Variant.objects.create(product=product, **fields) for fields in variants]


@pytest.fixture
def catalog(store):
    headphones = add_product(
        store,
        "Wireless Headphones",
        {"title": "Black", "sku": "WH-100-BLK", "barcode": "00012345678905", "price": "99.99"},
        {"title": "White", "sku": "WH-100-WHT", "barcode": "04006381333931", "price": "99.99"},
        image_url="https://cdn.example.com/wh.jpg",
        warranty_period="P2Y",
    )
    kettle = add_product(
        store,
        "Electric Kettle",
        {
            "title": "",
            "sku": "KT-2",
            "barcode": "00042100005264",
            "image_url": "https://x/k.jpg",
            "warranty_period": "P6M",
        },
    )
    phone_case = add_product(store, "Headphone Case", {"sku": "HC-1"})
    elsewhere = add_product(StoreFactory(), "Wireless Headphones Pro", {"sku": "WH-200"})
    return {"headphones": headphones, "kettle": kettle, "case": phone_case, "other": elsewhere}


def names(results):
    return [(r["name"], r["variant"]) for r in results]


def test_every_word_must_match_in_name_variant_or_sku(store, catalog):
    assert names(catalog_search(store=store, query="head")) == [
        ("Headphone Case", ""),
        ("Wireless Headphones", "Black"),
        ("Wireless Headphones", "White"),
    ]
    assert names(catalog_search(store=store, query="  wireless   WHITE ")) == [
        ("Wireless Headphones", "White")
    ]
    assert names(catalog_search(store=store, query="wh-100")) == [
        ("Wireless Headphones", "Black"),
        ("Wireless Headphones", "White"),
    ]


def test_a_barcode_in_any_length_or_a_sku_finds_the_variant_first_and_exactly(store, catalog):
    for code in ("012345678905", "0 12345 67890 5", "00012345678905"):
        (found,) = catalog_search(store=store, query=code)
        assert (found["sku"], found["exact"]) == ("WH-100-BLK", True)
    (kettle,) = catalog_search(store=store, query="04252614")  # the kettle's UPC-E
    assert kettle["sku"] == "KT-2"
    first, *rest = catalog_search(store=store, query="kt-2")
    assert (first["sku"], first["exact"], rest) == ("KT-2", True, [])
    assert [r["exact"] for r in catalog_search(store=store, query="wireless")] == [False, False]


def test_an_entry_carries_what_fills_the_item(store, catalog):
    (black,) = catalog_search(store=store, query="WH-100-BLK")
    assert black == {
        "id": catalog["headphones"][0].pk,
        "name": "Wireless Headphones",
        "variant": "Black",
        "sku": "WH-100-BLK",
        "barcode": "00012345678905",
        "price": Decimal("99.99"),
        "image": "https://cdn.example.com/wh.jpg",  # the product's, the variant has none
        "warranty": "P2Y",  # the product's too
        "text": "wireless headphones black wh-100-blk",
        "exact": True,
    }
    (kettle,) = catalog_search(store=store, query="kettle")
    assert (kettle["image"], kettle["warranty"]) == ("https://x/k.jpg", "P6M")


def test_only_the_store_s_own_catalog_is_searched_or_copied(store, catalog):
    assert "WH-200" not in [r["sku"] for r in catalog_search(store=store, query="wireless")]
    assert sorted(e["sku"] for e in catalog_copy(store=store)) == [
        "HC-1",
        "KT-2",
        "WH-100-BLK",
        "WH-100-WHT",
    ]


def test_too_short_a_query_finds_nothing_and_results_are_capped(store, catalog, settings):
    assert catalog_search(store=store, query="h") == []
    settings.KIOSK_CATALOG_RESULTS = 2
    assert len(catalog_search(store=store, query="he")) == 2


def test_search_text_follows_renames(store, catalog):
    variant = catalog["case"][0]
    variant.sku = "HC-9"
    variant.save(update_fields=["sku"])
    assert names(catalog_search(store=store, query="hc-9")) == [("Headphone Case", "")]


def test_a_renamed_product_is_found_by_its_new_name(store, catalog):
    product = catalog["kettle"][0].product
    product.name = "Travel Kettle"
    product.save()

    assert names(catalog_search(store=store, query="travel")) == [("Travel Kettle", "")]
