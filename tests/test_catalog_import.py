"""The catalog import: each format, idempotency, updates in place, refused rows, ids filled
in later, never deleting, and a store manager's limits."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kiosk.models import Product, Variant
from kiosk.services.catalog_import import CatalogFileUnreadable, catalog_import
from kiosk.services.catalog_import.shopify import NO_IDS_NOTE
from tests.factories import ClaimFactory, StoreFactory

DATA = Path(__file__).parent / "data" / "catalog"


def catalog_of(store=None) -> list[tuple]:
    """Every variant as (product, handle, product id, title, sku, barcode, price, variant id)."""
    variants = Variant.objects.select_related("product").order_by("product__name", "title")
    if store is not None:
        variants = variants.filter(product__stores=store)
    return [
        (
            v.product.name,
            v.product.handle,
            v.product.source_product_id,
            v.title,
            v.sku,
            v.barcode,
            v.price,
            v.source_variant_id,
        )
        for v in variants
    ]


SHOPIFY_CATALOG = [
    ("Travel Mug", "travel-mug", "", "", "MUG-01", "00040063813339", Decimal("24.50"), ""),
    (
        "Wireless Headphones",
        "wireless-headphones",
        "",
        "Black",
        "WH-BLK",
        "00850000000018",
        Decimal("79.00"),
        "",
    ),
    (
        "Wireless Headphones",
        "wireless-headphones",
        "",
        "White",
        "WH-WHT",
        "00850000000025",
        Decimal("79.00"),
        "",
    ),
]


@pytest.mark.parametrize("name", ["shopify_old.csv", "shopify_new.csv"])
def test_catalog_import_reads_both_shopify_header_styles(db, store, name):
    report = catalog_import(file=DATA / name, file_format="shopify", stores=[store])

    assert catalog_of(store) == SHOPIFY_CATALOG
    assert (report.variants_created, report.products_created, report.refused) == (3, 2, 0)
    headphones = Product.objects.get(handle="wireless-headphones")
    assert (headphones.vendor, headphones.product_type, headphones.image_url) == (
        "Acme Audio",
        "Headphones",
        "https://cdn.example.com/headphones.png",
    )
    assert headphones.variants.get(sku="WH-WHT").image_url == (
        "https://cdn.example.com/headphones-white.png"
    )
    assert headphones.variants.get(sku="WH-BLK").search_text == "wireless headphones black wh-blk"


def test_catalog_import_says_a_shopify_file_has_no_ids(db, store):
    report = catalog_import(file=DATA / "shopify_new.csv", file_format="shopify", stores=[store])

    assert report.notes == [NO_IDS_NOTE]
    assert "this file has no product/variant ids" in NO_IDS_NOTE.lower()


@pytest.mark.parametrize("feed", ["merchant_center.tsv", "merchant_center.xml"])
def test_catalog_import_fills_in_ids_from_a_merchant_center_feed(db, store, feed):
    catalog_import(file=DATA / "shopify_old.csv", file_format="shopify", stores=[store])
    before = set(Variant.objects.values_list("pk", flat=True))

    report = catalog_import(file=DATA / feed, file_format="merchant-center", stores=[store])

    assert set(Variant.objects.values_list("pk", flat=True)) == before
    assert (report.variants_created, report.variants_updated, report.refused) == (0, 3, 0)
    assert [(row[0], row[2], row[3], row[7]) for row in catalog_of()] == [
        ("Travel Mug", "7002", "", "8003"),
        ("Wireless Headphones", "7001", "Black", "8001"),
        ("Wireless Headphones", "7001", "White", "8002"),
    ]


@pytest.mark.parametrize("feed", ["merchant_center.tsv", "merchant_center.xml"])
def test_catalog_import_reads_a_merchant_center_feed_alone(db, store, feed):
    report = catalog_import(file=DATA / feed, file_format="merchant-center", stores=[store])

    assert report.refused == 0
    assert catalog_of() == [
        ("Travel Mug", "travel-mug", "7002", "", "", "", Decimal("24.50"), "8003"),
        (
            "Wireless Headphones",
            "wireless-headphones",
            "7001",
            "Black",
            "WH-BLK",
            "00850000000018",
            Decimal("79.00"),
            "8001",
        ),
        (
            "Wireless Headphones",
            "wireless-headphones",
            "7001",
            "White",
            "WH-WHT",
            "00850000000025",
            Decimal("79.00"),
            "8002",
        ),
    ]


def test_catalog_import_takes_a_feeds_own_ids_when_not_shopifys(db, store):
    feed = (
        "id\titem_group_id\ttitle\tprice\tgtin\n"
        "SKU-1-RED\tSKU-1\tScarf - Red\t15.00 EUR\t7612345678900\n"
        "LONE-1\t\tPostcard\t1.50 EUR\t\n"
    )
    catalog_import(file=io.BytesIO(feed.encode()), file_format="merchant-center", stores=[store])

    assert [(r[0], r[2], r[7], r[6]) for r in catalog_of()] == [
        ("Postcard", "LONE-1", "LONE-1", Decimal("1.50")),
        ("Scarf - Red", "SKU-1", "SKU-1-RED", Decimal("15.00")),
    ]


def test_catalog_import_reads_our_csv(db, store):
    report = catalog_import(file=DATA / "catalog.csv", file_format="csv", stores=[store])

    assert (report.products_created, report.variants_created, report.refused) == (2, 3, 0)
    drill = Product.objects.get(source_product_id="P-100")
    assert (drill.name, drill.warranty_period, drill.image_url) == (
        "Cordless Drill",
        "P2Y",
        "https://cdn.example.com/drill.png",
    )
    assert catalog_of(store)[0] == (
        "Cordless Drill",
        "",
        "P-100",
        "12 V",
        "DR-12",
        "08712345678906",
        Decimal("99.00"),
        "V-100-2",
    )
    assert list(drill.stores.all()) == [store]


@pytest.mark.parametrize(
    ("name", "file_format"),
    [
        ("shopify_old.csv", "shopify"),
        ("shopify_new.csv", "shopify"),
        ("merchant_center.tsv", "merchant-center"),
        ("merchant_center.xml", "merchant-center"),
        ("catalog.csv", "csv"),
    ],
)
def test_catalog_import_twice_changes_nothing(db, store, name, file_format):
    catalog_import(file=DATA / name, file_format=file_format, stores=[store])
    before = catalog_of()

    again = catalog_import(file=DATA / name, file_format=file_format, stores=[store])

    assert catalog_of() == before
    assert (again.variants_created, again.variants_updated, again.variants_unchanged) == (
        0,
        0,
        len(before),
    )
    assert (again.products_created, again.products_updated) == (0, 0)
    assert Product.stores.through.objects.count() == Product.objects.count()


def test_catalog_import_updates_in_place_by_source_ids(db, store, tmp_path):
    catalog_import(file=DATA / "catalog.csv", file_format="csv", stores=[store])
    drill_18v = Variant.objects.get(source_variant_id="V-100-1")
    changed = tmp_path / "changed.csv"
    changed.write_text(
        "product_id,product_name,variant_id,variant_title,sku,price\n"
        "P-100,Cordless Drill Pro,V-100-1,18 V,DR-18,119.00\n"
    )

    report = catalog_import(file=changed, file_format="csv", stores=[store])

    drill_18v.refresh_from_db()
    assert (drill_18v.product.name, drill_18v.price) == ("Cordless Drill Pro", Decimal("119.00"))
    # Columns the file leaves out are left alone; the variant it does not name is kept
    # and found by the product's new name.
    assert drill_18v.barcode == "05901234123457"
    assert Variant.objects.get(source_variant_id="V-100-2").search_text == (
        "cordless drill pro 12 v dr-12"
    )
    assert (report.variants_updated, report.products_updated) == (1, 1)
    assert report.updated_examples == [
        "Cordless Drill Pro – 18 V (DR-18): price 129.00 → 119.00",
        "Cordless Drill Pro: name Cordless Drill → Cordless Drill Pro",
    ]


def test_catalog_import_refuses_bad_rows_and_imports_the_rest(db, store):
    report = catalog_import(file=DATA / "catalog_bad_rows.csv", file_format="csv", stores=[store])

    assert report.errors == [
        "Row 3, column “barcode”: '5012345678901' is not a UPC or EAN barcode (8, 12, 13 or "
        "14 digits with a correct check digit).",
        "Row 4, column “price”: 'forty' is not a price such as 19.99.",
        "Row 5, column “product_name” is empty; it is required.",
        "Row 6, column “warranty_period”: 'two years': Enter an ISO-8601 duration such as "
        "P90D, P6M or P1Y.",
        "Row 7, the same variant as row 2 (Desk Lamp – Black (DL-BLK)); left out.",
    ]
    assert report.refused == 5
    assert [v.sku for v in Variant.objects.all()] == ["DL-BLK"]


def test_catalog_import_refuses_a_shopify_product_without_its_title(db, store):
    text = (
        "Handle,Title,Option1 Value,Variant SKU,Variant Price\n"
        "scarf,,Red,SC-RED,15.00\n"
        "scarf,,Blue,SC-BLU,15.00\n"
        "hat,Hat,Default Title,HAT,9.00\n"
    )
    report = catalog_import(file=io.BytesIO(text.encode()), file_format="shopify", stores=[store])

    assert report.errors == [
        "Row 2, column “Title” is empty on the first row of “scarf”; a product's first row "
        "carries its title.",
        "Row 3, left out: its product (row 2) was refused.",
    ]
    assert catalog_of() == [("Hat", "hat", "", "", "HAT", "", Decimal("9.00"), "")]


def test_catalog_import_keeps_the_first_hundred_errors(db, store):
    lines = ["product_id,product_name,variant_id,price"]
    lines += [f"P{n},Thing {n},V{n},cheap" for n in range(150)]
    report = catalog_import(
        file=io.BytesIO("\n".join(lines).encode()), file_format="csv", stores=[store]
    )

    assert (report.refused, len(report.errors), report.errors_not_shown) == (150, 100, 50)
    assert report.lines()[-1] == "  … and 50 more refused rows."


@pytest.mark.parametrize(
    ("content", "file_format", "message"),
    [
        (b"", "csv", "The file is empty"),
        (b"name,price\nx,1\n", "csv", "it has no “product_id” or “product_name” or “variant_id”"),
        (b"Name,Price\n", "shopify", "The file is not a Shopify product CSV"),
        (b"product_id,product_name,variant_id\n\xff\xfe,x,y\n", "csv", "is not UTF-8"),
        (b"<rss><channel><item><g:id>1", "merchant-center", "The XML cannot be read"),
    ],
)
def test_catalog_import_refuses_a_file_it_cannot_read(db, store, content, file_format, message):
    with pytest.raises(CatalogFileUnreadable, match=message):
        catalog_import(file=io.BytesIO(content), file_format=file_format, stores=[store])

    assert not Product.objects.exists()


def test_catalog_import_dry_run_saves_nothing(db, store):
    report = catalog_import(
        file=DATA / "catalog.csv", file_format="csv", stores=[store], dry_run=True
    )

    assert (report.variants_created, report.products_created) == (3, 2)
    assert report.created_examples[0] == "Cordless Drill – 18 V (DR-18)"
    assert not Product.objects.exists()


def test_catalog_import_never_deletes(db, store, tmp_path):
    catalog_import(file=DATA / "catalog.csv", file_format="csv", stores=[store])
    claimed = Variant.objects.get(source_variant_id="V-200-1")
    ClaimFactory(store=store, catalog_variant=claimed)
    smaller = tmp_path / "smaller.csv"
    smaller.write_text("product_id,product_name,variant_id\nP-100,Cordless Drill,V-100-1\n")
    other_store = StoreFactory()

    catalog_import(file=smaller, file_format="csv", stores=[other_store])

    assert Variant.objects.count() == 3
    assert Product.objects.count() == 2
    # Links are added for the store given, never taken away from the others.
    drill = Product.objects.get(source_product_id="P-100")
    assert set(drill.stores.all()) == {store, other_store}


def test_catalog_import_of_a_manager_leaves_other_stores_products_alone(db, store, tmp_path):
    elsewhere = StoreFactory()
    catalog_import(file=DATA / "catalog.csv", file_format="csv", stores=[elsewhere])
    changed = tmp_path / "changed.csv"
    changed.write_text(
        "product_id,product_name,variant_id,price\n"
        "P-100,Cordless Drill,V-100-1,1.00\n"
        "P-900,Tape Measure,V-900-1,7.00\n"
    )

    report = catalog_import(
        file=changed, file_format="csv", stores=[store], editable_stores=[store]
    )

    assert report.errors == [
        "Row 2, the product “Cordless Drill” is sold only at stores you do not manage; it was "
        "left alone (an administrator can import it)."
    ]
    assert Variant.objects.get(source_variant_id="V-100-1").price == Decimal("129.00")
    assert [r[0] for r in catalog_of(store)] == ["Tape Measure"]


def test_catalog_import_matches_a_barcode_in_any_length(db, store, tmp_path):
    catalog_import(file=DATA / "shopify_old.csv", file_format="shopify", stores=[store])
    feed = tmp_path / "feed.tsv"
    # The mug's UPC-A 040063813339 written as a GTIN-14, and no SKU (mpn) to match by.
    feed.write_text(
        "id\ttitle\tgtin\tprice\nshopify_US_7002_8003\tMug\t00040063813339\t24.50 USD\n"
    )

    catalog_import(file=feed, file_format="merchant-center", stores=[store])

    mug = Variant.objects.get(sku="MUG-01")
    assert (mug.source_variant_id, mug.product.source_product_id, mug.product.name) == (
        "8003",
        "7002",
        "Travel Mug",
    )


def test_import_catalog_command_prints_the_report(db, store):
    out = io.StringIO()

    call_command(
        "import_catalog",
        str(DATA / "shopify_new.csv"),
        "--format=shopify",
        f"--store={store.source_store_id}",
        stdout=out,
    )

    assert out.getvalue().splitlines() == [
        "Variants: 3 created, 0 updated, 0 unchanged, 0 refused. Products: 2 created, "
        "0 updated, 0 unchanged.",
        NO_IDS_NOTE,
    ]
    assert Product.objects.filter(stores=store).count() == 2


def test_import_catalog_command_dry_run_saves_nothing(db, store):
    out = io.StringIO()

    call_command(
        "import_catalog",
        str(DATA / "catalog.csv"),
        "--format=csv",
        "--all-stores",
        "--dry-run",
        stdout=out,
    )

    assert out.getvalue().startswith("Dry run, nothing saved. Variants: 3 created")
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([str(DATA / "missing.csv"), "--format=csv", "--all-stores"], "Cannot open"),
        ([str(DATA / "catalog.csv"), "--format=shopify", "--all-stores"], "Nothing imported"),
        ([str(DATA / "catalog.csv"), "--format=csv", "--store=nope"], "No store with storeId nope"),
    ],
)
def test_import_catalog_command_fails_when_the_file_cannot_be_imported(db, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_catalog", *arguments, stdout=io.StringIO())
