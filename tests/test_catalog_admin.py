"""The catalog on the desk: scoped lists and search, and the import page's preview and
confirmation."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kiosk.admin.catalog_import import upload_dir
from kiosk.models import ManagerAction, Product, Variant
from kiosk.services.catalog_import import catalog_import
from tests.factories import StoreFactory, UserFactory

DATA = Path(__file__).parent / "data" / "catalog"
IMPORT = reverse("admin:kiosk_product_import")
CHANGELIST = reverse("admin:kiosk_product_changelist")


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content if content is not None else (DATA / name).read_bytes())


@pytest.fixture
def two_catalogs(store):
    """Our CSV at the manager's store, the Shopify export at another store."""
    elsewhere = StoreFactory(name="Elsewhere")
    catalog_import(file=DATA / "catalog.csv", file_format="csv", stores=[store])
    catalog_import(file=DATA / "shopify_old.csv", file_format="shopify", stores=[elsewhere])
    return elsewhere


@pytest.fixture(autouse=True)
def private_uploads(tmp_path, monkeypatch):
    """The folder the previewed uploads wait in, empty for each test."""
    monkeypatch.setattr("kiosk.admin.catalog_import.tempfile.gettempdir", lambda: str(tmp_path))


def kept_files() -> list[Path]:
    return list(upload_dir().glob("*.upload"))


def listed(response) -> list[str]:
    return [product.name for product in response.context["cl"].result_list]


def test_product_list_shows_a_manager_only_their_stores_products(manager_client, two_catalogs):
    response = manager_client.get(CHANGELIST)

    assert listed(response) == ["Cordless Drill", "Garden Hose 25 m"]
    other = Product.objects.get(handle="travel-mug")
    assert manager_client.get(
        reverse("admin:kiosk_product_change", args=[other.pk])
    ).status_code == (404)


def test_product_list_of_a_superuser_shows_every_product(client, two_catalogs):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    response = client.get(CHANGELIST)

    assert listed(response) == [
        "Cordless Drill",
        "Garden Hose 25 m",
        "Travel Mug",
        "Wireless Headphones",
    ]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("drill", ["Cordless Drill"]),
        ("dr-12", ["Cordless Drill"]),  # a SKU, in any case
        ("8712345678906", ["Cordless Drill"]),  # an EAN-13, stored as a GTIN-14
        ("08712345678906", ["Cordless Drill"]),
        ("V-200-1", ["Garden Hose 25 m"]),  # a source variant ID
        ("P-100", ["Cordless Drill"]),
        ("040063813339", []),  # the mug's UPC: another store's product
    ],
)
def test_product_search_finds_by_name_sku_barcode_and_ids(
    manager_client, two_catalogs, term, expected
):
    assert listed(manager_client.get(CHANGELIST, {"q": term})) == expected


def test_product_list_filters_by_store_and_type(client, two_catalogs, store):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    assert listed(client.get(CHANGELIST, {"store": two_catalogs.pk})) == [
        "Travel Mug",
        "Wireless Headphones",
    ]
    assert listed(client.get(CHANGELIST, {"type": "Garden"})) == ["Garden Hose 25 m"]


def test_catalog_import_page_previews_then_imports(manager_client, store):
    response = manager_client.post(
        IMPORT, {"file": upload("catalog.csv"), "file_format": "csv", "stores": [store.pk]}
    )

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.variants_created, report.products_created, report.refused) == (3, 2, 0)
    assert not Product.objects.exists()
    assert [p.read_bytes() for p in kept_files()] == [(DATA / "catalog.csv").read_bytes()]
    assert upload_dir().stat().st_mode & 0o777 == 0o700

    confirmed = manager_client.post(IMPORT, {"token": response.context["token"]})

    assert confirmed.status_code == 302
    assert confirmed["Location"] == CHANGELIST
    assert sorted(Variant.objects.values_list("sku", flat=True)) == ["DR-12", "DR-18", "GH-25"]
    assert kept_files() == []
    # On the desk's record: who imported which file, where, and what it did.
    (action,) = ManagerAction.objects.filter(action=ManagerAction.Action.CATALOG_IMPORT)
    assert action.user == response.wsgi_request.user
    assert action.detail == {
        "file": "catalog.csv",
        "format": "csv",
        "stores": [store.source_store_id],
        "products_created": 2,
        "products_updated": 0,
        "products_unchanged": 0,
        "variants_created": 3,
        "variants_updated": 0,
        "variants_unchanged": 0,
        "refused": 0,
    }


def test_catalog_import_preview_lists_refused_rows_by_number(manager_client, store):
    response = manager_client.post(
        IMPORT,
        {"file": upload("catalog_bad_rows.csv"), "file_format": "csv", "stores": [store.pk]},
    )

    refused = response.context["report"].errors
    assert refused[0].startswith("Row 3, column “barcode”: '5012345678901' is not a UPC")
    assert "Row 4, column “price”: &#x27;forty&#x27; is not a price such as 19.99." in (
        response.content.decode()
    )


def test_catalog_import_keeps_the_managers_choices_when_the_file_is_refused(manager_client, store):
    response = manager_client.post(
        IMPORT,
        {"file": upload("x.csv", b"name,price\n"), "file_format": "shopify", "stores": [store.pk]},
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["file"] == [
        "The file is not a Shopify product CSV: it has no “Handle” or “Title” column (its "
        "first line reads: name, price). Nothing was imported; choose the file again."
    ]
    assert (form["file_format"].value(), form["stores"].value()) == ("shopify", [str(store.pk)])
    assert kept_files() == []
    assert not Product.objects.exists()


def test_catalog_import_confirmation_is_the_previewers_alone(manager_client, client, store):
    preview = manager_client.post(
        IMPORT, {"file": upload("catalog.csv"), "file_format": "csv", "stores": [store.pk]}
    )
    other_manager = UserFactory(username="sam", is_staff=True, is_superuser=True)
    client.force_login(other_manager)

    response = client.post(IMPORT, {"token": preview.context["token"]})

    assert response["Location"] == IMPORT
    assert not Product.objects.exists()


def test_catalog_import_discard_deletes_the_kept_file(manager_client, store):
    preview = manager_client.post(
        IMPORT, {"file": upload("catalog.csv"), "file_format": "csv", "stores": [store.pk]}
    )
    assert len(kept_files()) == 1

    manager_client.post(IMPORT, {"token": preview.context["token"], "discard": "1"})

    assert kept_files() == []
    assert not Product.objects.exists()
    # The token is spent: confirming now imports nothing.
    manager_client.post(IMPORT, {"token": preview.context["token"]})
    assert not Product.objects.exists()


def test_catalog_import_offers_only_the_managers_stores(manager_client, store):
    elsewhere = StoreFactory(name="Elsewhere")

    response = manager_client.post(
        IMPORT, {"file": upload("catalog.csv"), "file_format": "csv", "stores": [elsewhere.pk]}
    )

    assert response.status_code == 400
    assert "stores" in response.context["form"].errors
    assert not Product.objects.exists()


def test_catalog_import_needs_the_import_permission(client, store):
    staff = UserFactory(username="viewer", is_staff=True)
    store.members.add(staff)
    client.force_login(staff)

    assert client.get(IMPORT).status_code == 403


def test_catalog_import_page_after_an_update_shows_the_change(manager_client, store, tmp_path):
    catalog_import(file=DATA / "catalog.csv", file_format="csv", stores=[store])
    changed = b"product_id,product_name,variant_id,variant_title,sku,price\n"
    changed += b"P-100,Cordless Drill,V-100-1,18 V,DR-18,119.00\n"

    response = manager_client.post(
        IMPORT, {"file": upload("c.csv", changed), "file_format": "csv", "stores": [store.pk]}
    )

    assert response.context["report"].updated_examples == [
        "Cordless Drill – 18 V (DR-18): price 129.00 → 119.00"
    ]
    assert Variant.objects.get(sku="DR-18").price == Decimal("129.00")
