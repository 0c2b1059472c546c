"""A Google Merchant Center product feed: tab-separated text, or XML (RSS 2.0 or Atom with
the g: namespace).

Each item is a variant: `id` is the variant, `item_group_id` its product (an item without
one is a product of its own). Shopify's Google channel writes `id` as
shopify_<country>_<product id>_<variant id>: both ids are read from it. A feed's `title`
is the item's advertising title ("Product – Variant"), so it names only a product the
feed creates; `mpn` is taken as the SKU where a variant has none; `link`'s
/products/<handle> gives the handle, by which a Shopify export's products are found.
"""

import re
from collections.abc import Iterator
from typing import BinaryIO, TextIO
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError, iterparse

from kiosk.services.catalog_import.rows import (
    CatalogFileUnreadable,
    CatalogRow,
    RowProblem,
    RowRefused,
    cell,
    clean_barcode,
    clean_price,
    clean_text,
    clean_url,
)
from kiosk.services.catalog_import.tables import Table

SHOPIFY_ID = re.compile(r"^shopify_[A-Za-z]{2}_(\d+)_(\d+)$")
HANDLE_IN_LINK = re.compile(r"/products/([^/?#]+)")
ATTRIBUTES = (
    "id",
    "item_group_id",
    "title",
    "link",
    "image_link",
    "price",
    "gtin",
    "mpn",
    "brand",
    "product_type",
    "color",
    "size",
    "material",
    "pattern",
)
G_NAMESPACE = "{http://base.google.com/ns/1.0}"
ATOM_NAMESPACE = "{http://www.w3.org/2005/Atom}"
FILL_ONLY = frozenset(
    {"product.name", "product.handle", "product.vendor", "product.product_type", "variant.sku"}
    | {"variant.title"}
)


def merchant_center_tsv_rows(stream: TextIO, notes: list[str]) -> Iterator[CatalogRow | RowRefused]:
    columns = {name: (name, f"g:{name}") for name in ATTRIBUTES}
    first_line = stream.readline()
    delimiter = "\t" if "\t" in first_line else ","
    stream.seek(0)
    table = Table(
        stream,
        columns=columns,
        required=("id", "title"),
        what="a Merchant Center feed",
        delimiter=delimiter,
    )
    for number, cells in table:
        item = {name: cells.get(name) or "" for name in ATTRIBUTES}
        yield _item_row(f"Row {number}", item, label=table.label)


def merchant_center_xml_rows(
    stream: BinaryIO, notes: list[str]
) -> Iterator[CatalogRow | RowRefused]:
    """Items one at a time (iterparse), each cleared from the tree once read."""
    number = 0
    parents = []
    try:
        for event, element in iterparse(stream, events=("start", "end")):
            if event == "start":
                parents.append(element)
                continue
            parents.pop()
            if element.tag not in ("item", f"{ATOM_NAMESPACE}entry"):
                continue
            number += 1
            item = dict.fromkeys(ATTRIBUTES, "")
            for child in element:
                name = child.tag.removeprefix(G_NAMESPACE).removeprefix(ATOM_NAMESPACE)
                if name in item and not item[name]:
                    item[name] = (child.text or child.get("href") or "").strip()
            # The items read so far would otherwise stay in the tree: memory bounded by one.
            element.clear()
            if parents:
                parents[-1].clear()
            yield _item_row(f"Item {number}", item, label=lambda name: f"g:{name}")
    except ParseError as error:
        line, column = error.position
        raise CatalogFileUnreadable(
            f"The XML cannot be read at line {line}, column {column}: {error.msg}."
        ) from None
    if number == 0:
        raise CatalogFileUnreadable(
            "The XML has no <item> (RSS) or <entry> (Atom): it is not a Merchant Center feed."
        )


def _item_row(where: str, item: dict[str, str], *, label) -> CatalogRow | RowRefused:
    try:
        return _build(where, item, label)
    except RowProblem as problem:
        return problem.refusal


def _build(where: str, item: dict[str, str], label) -> CatalogRow:
    if not item["id"]:
        raise RowProblem(RowRefused(where, f"“{label('id')}” is empty; it is required."))
    shopify = SHOPIFY_ID.match(item["id"])
    if shopify:
        product_id, variant_id = shopify.groups()
    else:
        product_id, variant_id = item["item_group_id"] or item["id"], item["id"]
    handle_found = HANDLE_IN_LINK.search(urlsplit(item["link"]).path)
    title = " / ".join(
        item[name] for name in ("color", "size", "material", "pattern") if item[name]
    )
    name = item["title"]
    if title and name.endswith((f" - {title}", f" – {title}")):
        name = name[: -len(title) - 3]
    product = {
        "source_product_id": cell(
            where, label("id"), clean_text, product_id, field_name="source_product_id"
        ),
        "name": cell(where, label("title"), clean_text, name or item["id"], field_name="name"),
    }
    if handle_found:
        product["handle"] = cell(
            where, label("link"), clean_text, handle_found.group(1), field_name="handle"
        )
    if item["brand"]:
        product["vendor"] = cell(
            where, label("brand"), clean_text, item["brand"], field_name="vendor"
        )
    if item["product_type"]:
        product["product_type"] = cell(
            where,
            label("product_type"),
            clean_text,
            item["product_type"],
            field_name="product_type",
        )
    variant: dict[str, object] = {
        "source_variant_id": cell(
            where, label("id"), clean_text, variant_id, field_name="source_variant_id"
        ),
    }
    # An attribute the item leaves empty leaves the variant's value alone.
    if item["gtin"]:
        variant["barcode"] = cell(where, label("gtin"), clean_barcode, item["gtin"])
    if item["price"]:
        variant["price"] = cell(
            where, label("price"), clean_price, item["price"], currency_allowed=True
        )
    if item["image_link"]:
        variant["image_url"] = cell(where, label("image_link"), clean_url, item["image_link"])
    if title:
        variant["title"] = cell(where, label("color"), clean_text, title, field_name="title")
    if item["mpn"]:
        variant["sku"] = cell(where, label("mpn"), clean_text, item["mpn"], field_name="sku")
    return CatalogRow(where, product=product, variant=variant, fill_only=FILL_ONLY)
