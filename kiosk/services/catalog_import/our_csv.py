"""Our own catalog CSV, for chains with an ERP of their own (documented in docs/catalog.md).

One row per variant; the product's columns repeat on each of its rows. product_id,
product_name and variant_id are required; a column the file leaves out is left alone on
existing products and variants, a column present but empty clears the value.
"""

from collections.abc import Iterator
from typing import TextIO

from kiosk.services.catalog_import.rows import (
    CatalogRow,
    RowProblem,
    RowRefused,
    cell,
    clean_barcode,
    clean_price,
    clean_text,
    clean_url,
    clean_warranty_period,
    required,
)
from kiosk.services.catalog_import.tables import Table

# canonical name -> (the column's name in our format, the product or variant field)
PRODUCT_COLUMNS = {
    "product_id": "source_product_id",
    "product_name": "name",
    "handle": "handle",
    "vendor": "vendor",
    "product_type": "product_type",
    "product_image_url": "image_url",
    "warranty_period": "warranty_period",
}
VARIANT_COLUMNS = {
    "variant_id": "source_variant_id",
    "variant_title": "title",
    "sku": "sku",
    "barcode": "barcode",
    "price": "price",
    "image_url": "image_url",
    "variant_warranty_period": "warranty_period",
}
REQUIRED = ("product_id", "product_name", "variant_id")
CLEANERS = {
    "barcode": clean_barcode,
    "price": clean_price,
    "image_url": clean_url,
    "product_image_url": clean_url,
    "warranty_period": clean_warranty_period,
    "variant_warranty_period": clean_warranty_period,
}


def our_csv_rows(stream: TextIO, notes: list[str]) -> Iterator[CatalogRow | RowRefused]:
    columns = {name: (name,) for name in [*PRODUCT_COLUMNS, *VARIANT_COLUMNS]}
    table = Table(stream, columns=columns, required=REQUIRED, what="our catalog CSV")
    for number, cells in table:
        where = f"Row {number}"
        try:
            for name in REQUIRED:
                required(where, name, cells.get(name))
            row = CatalogRow(where)
            for columns_of, target in (
                (PRODUCT_COLUMNS, row.product),
                (VARIANT_COLUMNS, row.variant),
            ):
                for name, model_field in columns_of.items():
                    if not cells.has(name):
                        continue
                    cleaner = CLEANERS.get(name)
                    if cleaner is None:
                        value = cell(
                            where, name, clean_text, cells.get(name), field_name=model_field
                        )
                    else:
                        value = cell(where, name, cleaner, cells.get(name))
                    target[model_field] = value
        except RowProblem as problem:
            yield problem.refusal
            continue
        yield row
