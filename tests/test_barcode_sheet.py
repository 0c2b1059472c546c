"""The desk's printable sheet of barcodes (admin:barcode_sheet) and the drawing behind it."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from kiosk.barcode_drawing import barcode_svg, ean13_modules, printable_code
from kiosk.barcodes import gtin14
from kiosk.models import Product, Variant
from tests.factories import StoreFactory, UserFactory

SHEET = reverse("admin:barcode_sheet")


def variant(store, name: str, barcode: str, **fields) -> Variant:
    product = Product.objects.create(name=name)
    product.stores.add(store)
    return Variant.objects.create(product=product, barcode=barcode, **fields)


@pytest.fixture
def sheet_manager(manager):
    manager.user_permissions.add(Permission.objects.get(codename="view_variant"))
    return manager


@pytest.mark.django_db
def test_the_sheet_prints_each_variant_of_the_managers_stores_as_ean13_or_upca(
    client, sheet_manager, store
):
    variant(store, "Trail Kettle", gtin14("4006381333931"), title="1 L / Steel", sku="KT-1")
    variant(store, "Desk Lamp", gtin14("036000291452"), sku="DL-2")
    variant(store, "Lamp, case of 12", "10036000291459")  # a case's GTIN-14: an ITF-14
    variant(StoreFactory(name="Elsewhere"), "Other Store's Kettle", gtin14("9780306406157"))
    client.force_login(sheet_manager)

    response = client.get(SHEET)

    assert response.status_code == 200
    page = response.content.decode()
    assert [(label.variant.product.name, label.code) for label in response.context["labels"]] == [
        ("Desk Lamp", "036000291452"),
        ("Trail Kettle", "4006381333931"),
    ]
    assert 'aria-label="Barcode 4006381333931"' in page and "SKU KT-1" in page
    assert "Lamp, case of 12 (10036000291459)" in page
    assert "Other Store" not in page
    assert "<script" not in page.split('data-testid="barcode-sheet"')[1].split("</ol>")[0]


@pytest.mark.django_db
def test_the_sheet_needs_the_permission_to_see_the_catalog(client, store, manager):
    staff = UserFactory(username="no-catalog", is_staff=True)
    store.members.add(staff)
    client.force_login(staff)
    assert client.get(SHEET).status_code == 403
    client.force_login(manager)  # store managers may see their stores' catalog
    assert client.get(SHEET).status_code == 200


@pytest.mark.django_db
def test_the_sheet_shows_one_store_when_asked(client, sheet_manager, store):
    other = StoreFactory(name="Harbour Road", members=[sheet_manager])
    variant(store, "Trail Kettle", gtin14("4006381333931"))
    variant(other, "Harbour Mug", gtin14("036000291452"))
    client.force_login(sheet_manager)

    response = client.get(SHEET, {"store": other.pk})

    assert [label.code for label in response.context["labels"]] == ["036000291452"]


def test_a_gtin14_prints_as_upca_when_it_has_one_else_as_ean13():
    assert printable_code("00036000291452") == "036000291452"
    assert printable_code("04006381333931") == "4006381333931"
    assert printable_code("10036000291459") is None  # a case: ITF-14
    assert printable_code("04006381333932") is None  # check digit wrong


def test_the_bars_have_the_guards_and_the_parity_of_the_first_digit():
    modules = ean13_modules("4006381333931")
    assert len(modules) == 95
    assert modules[:3] == "101" and modules[45:50] == "01010" and modules[-3:] == "101"
    # First digit 4 is drawn as the parity L G L L G G of the next six; "0" in L is
    # 0001101, in G 0100111.
    assert modules[3:10] == "0001101" and modules[10:17] == "0100111"
    # A UPC-A has the bars of the EAN-13 with a 0 in front.
    assert ean13_modules("036000291452") == ean13_modules("0036000291452")
    with pytest.raises(ValueError):
        ean13_modules("4006381333932")


def test_the_svg_has_a_rect_per_bar_and_says_its_digits():
    svg = barcode_svg("036000291452")
    bars = ean13_modules("036000291452")
    runs = sum(1 for i, bit in enumerate(bars) if bit == "1" and (i == 0 or bars[i - 1] == "0"))
    assert svg.count("<rect ") == runs + 1  # and the white background
    assert 'aria-label="Barcode 036000291452"' in svg
