"""Shopify's product CSV export, in both header styles.

The older export names its columns "Handle", "Variant SKU", "Variant Barcode",
"Variant Price", "Image Src", "Variant Image"; the current one "URL handle", "SKU",
"Barcode", "Price", "Product image URL", "Variant image URL" (Shopify Help, "Using CSV
files to import and export products"). A product's first row carries its title; the rows
after it with the same handle and no title carry its other variants, or only more images.
The export has no numeric product or variant ids (an app's export may add "ID" and
"Variant ID" columns: they are read when present).
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
    variant_title,
)
from kiosk.services.catalog_import.tables import Cells, Table

COLUMNS = {
    "handle": ("Handle", "URL handle"),
    "title": ("Title",),
    "vendor": ("Vendor",),
    "type": ("Type",),
    "option1": ("Option1 Value",),
    "option2": ("Option2 Value",),
    "option3": ("Option3 Value",),
    "sku": ("Variant SKU", "SKU"),
    "barcode": ("Variant Barcode", "Barcode"),
    "price": ("Variant Price", "Price"),
    "image": ("Image Src", "Product image URL"),
    "variant_image": ("Variant Image", "Variant image URL"),
    "product_id": ("ID", "Product ID"),
    "variant_id": ("Variant ID",),
}
NO_IDS_NOTE = (
    "This file has no product/variant ids: import a Merchant Center feed or our CSV to add "
    "them (their variants are matched by SKU, barcode or handle)."
)
# Cells that make a continuation row a variant rather than only another image.
VARIANT_CELLS = ("option1", "option2", "option3", "sku", "barcode", "price", "variant_image")


def shopify_rows(stream: TextIO, notes: list[str]) -> Iterator[CatalogRow | RowRefused]:
    table = Table(
        stream,
        columns=COLUMNS,
        required=("handle", "title"),
        what="a Shopify product CSV",
    )
    if not table.has("variant_id"):
        notes.append(NO_IDS_NOTE)
    product: dict[str, object] | None = None  # the current handle's product fields
    product_refused: str | None = None  # why the current handle's rows are refused
    for number, cells in table:
        where = f"Row {number}"
        handle = cells.get("handle")
        if not handle:
            yield RowRefused(where, f"column “{table.label('handle')}” is empty.")
            continue
        starts_product = product is None or product["handle"] != handle
        if cells.get("title") or starts_product:
            try:
                product = _product(where, table, cells, handle)
                product_refused = None
            except RowProblem as problem:
                product = {"handle": handle}
                product_refused = f"its product (row {number}) was refused"
                yield problem.refusal
                continue
        elif not any(cells.get(name) for name in VARIANT_CELLS):
            continue  # only another image of the product
        if product_refused:
            yield RowRefused(where, f"left out: {product_refused}.")
            continue
        try:
            variant = _variant(where, table, cells)
        except RowProblem as problem:
            yield problem.refusal
            continue
        yield CatalogRow(where, product=dict(product), variant=variant)


def _product(where: str, table: Table, cells: Cells, handle: str) -> dict[str, object]:
    title = cells.get("title")
    if not title:
        raise RowProblem(
            RowRefused(
                where,
                f"column “{table.label('title')}” is empty on the first row of “{handle}”; "
                "a product's first row carries its title.",
            )
        )
    product: dict[str, object] = {
        "handle": cell(where, table.label("handle"), clean_text, handle, field_name="handle"),
        "name": cell(where, table.label("title"), clean_text, title, field_name="name"),
    }
    for name, model_field in (("vendor", "vendor"), ("type", "product_type")):
        if table.has(name):
            product[model_field] = cell(
                where, table.label(name), clean_text, cells.get(name), field_name=model_field
            )
    if table.has("image"):
        product["image_url"] = cell(where, table.label("image"), clean_url, cells.get("image"))
    if table.has("product_id"):
        product["source_product_id"] = cell(
            where,
            table.label("product_id"),
            clean_text,
            cells.get("product_id"),
            field_name="source_product_id",
        )
    return product


def _variant(where: str, table: Table, cells: Cells) -> dict[str, object]:
    variant: dict[str, object] = {
        "title": cell(
            where,
            table.label("option1"),
            clean_text,
            variant_title([cells.get(f"option{n}") or "" for n in (1, 2, 3)]),
            field_name="title",
        )
    }
    if table.has("sku"):
        variant["sku"] = cell(
            where, table.label("sku"), clean_text, cells.get("sku"), field_name="sku"
        )
    if table.has("barcode"):
        variant["barcode"] = cell(
            where, table.label("barcode"), clean_barcode, cells.get("barcode")
        )
    if table.has("price"):
        variant["price"] = cell(where, table.label("price"), clean_price, cells.get("price"))
    if table.has("variant_image"):
        variant["image_url"] = cell(
            where, table.label("variant_image"), clean_url, cells.get("variant_image")
        )
    if table.has("variant_id"):
        variant["source_variant_id"] = cell(
            where,
            table.label("variant_id"),
            clean_text,
            cells.get("variant_id"),
            field_name="source_variant_id",
        )
    return variant
