"""The demo store's catalog, loaded by seed_demo through the importer."""

from django.contrib.staticfiles import finders
from django.core.management import call_command

from kiosk.demo.seed import DEMO_STORE_ID
from kiosk.models import Product, Variant


def test_seed_demo_loads_the_demo_catalog_once(db, capsys, settings):
    settings.PUBLIC_MEDIA_BASE_URL = "http://127.0.0.1:8000"
    call_command("seed_demo", "--allow-production")
    first = capsys.readouterr().out
    call_command("seed_demo", "--allow-production")
    second = capsys.readouterr().out

    assert "Demo catalog: 25 variant(s) added, 0 updated, 0 already there." in first
    assert "Demo catalog: 0 variant(s) added, 0 updated, 25 already there." in second
    assert Product.objects.filter(stores__source_store_id=DEMO_STORE_ID).count() == 11
    assert Variant.objects.exclude(barcode="").count() == 25
    assert Product.objects.exclude(warranty_period="").count() == 9


def test_demo_catalog_images_are_absolute_urls_of_static_files(db, settings):
    settings.PUBLIC_MEDIA_BASE_URL = "http://127.0.0.1:8000"
    call_command("seed_demo", "--allow-production", stdout=None)

    urls = set(Product.objects.values_list("image_url", flat=True))
    prefix = "http://127.0.0.1:8000/static/"
    assert len(urls) == 11
    assert all(url.startswith(prefix + "demo/catalog/") for url in urls)
    assert all(finders.find(url.removeprefix(prefix)) for url in urls)
