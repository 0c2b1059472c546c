"""The demo store's catalog: about ten products and 25 variants with real-looking UPC/EAN
barcodes, loaded from catalog.csv (our CSV format) through the importer, so `make run`
can be searched and scanned at once.

The file names its images by static path (demo/catalog/*.png, served by the portal; PNG,
which the API's servers can read as an image). A claim carries its product's image to
OrderProtection as an absolute URL, so they are written as PUBLIC_MEDIA_BASE_URL (where
OrderProtection fetches files from this server; `make run` sets it to its own address),
else PORTAL_BASE_URL, plus STATIC_URL and the unhashed name, which stays valid when the
file changes.
"""

import csv
import io
from pathlib import Path

from django.conf import settings

from kiosk.models import Store
from kiosk.services.catalog_import import ImportReport, catalog_import

DEMO_CATALOG = Path(__file__).with_name("catalog.csv")
IMAGE_COLUMNS = ("product_image_url", "image_url")


def demo_catalog_base_url() -> str:
    """Where the demo images are fetched from; empty: the demo catalog has no images."""
    base = settings.PUBLIC_MEDIA_BASE_URL or settings.PORTAL_BASE_URL or ""
    if not base:
        return ""
    static_url = (
        settings.STATIC_URL if settings.STATIC_URL.startswith("/") else ("/" + settings.STATIC_URL)
    )
    return base.rstrip("/") + static_url


def demo_catalog_load(*, store: Store) -> ImportReport:
    """Import the demo catalog for `store`; idempotent (a second run changes nothing)."""
    base = demo_catalog_base_url()
    with DEMO_CATALOG.open(newline="", encoding="utf-8") as shipped:
        rows = list(csv.DictReader(shipped))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        for column in IMAGE_COLUMNS:
            if row.get(column):
                row[column] = f"{base}{row[column]}" if base else ""
        writer.writerow(row)
    return catalog_import(
        file=io.BytesIO(out.getvalue().encode()), file_format="csv", stores=[store]
    )
