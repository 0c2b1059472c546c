"""Importing the merchant's catalog: Shopify's product CSV, a Google Merchant Center feed
(TSV or XML), or our own CSV (docs/catalog.md).

`catalog_import` streams the file: rows are parsed one at a time and written in batches
of about BATCH_SIZE variants, each batch finding its existing products and variants in a
few queries. The same file imported twice changes nothing the second time.
"""

from kiosk.services.catalog_import.report import ImportReport
from kiosk.services.catalog_import.rows import CatalogFileUnreadable
from kiosk.services.catalog_import.service import FILE_FORMATS, catalog_import

__all__ = ["FILE_FORMATS", "CatalogFileUnreadable", "ImportReport", "catalog_import"]
