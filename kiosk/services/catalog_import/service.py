"""The entry point: `catalog_import`."""

import io
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from os import PathLike
from typing import BinaryIO

from django.db import transaction

from kiosk.models import Store
from kiosk.services.catalog_import.merchant_center import (
    merchant_center_tsv_rows,
    merchant_center_xml_rows,
)
from kiosk.services.catalog_import.our_csv import our_csv_rows
from kiosk.services.catalog_import.report import ImportReport
from kiosk.services.catalog_import.rows import CatalogFileUnreadable, CatalogRow, RowRefused
from kiosk.services.catalog_import.shopify import shopify_rows
from kiosk.services.catalog_import.writer import CatalogWriter

FILE_FORMATS = {
    "shopify": "Shopify product CSV export",
    "merchant-center": "Google Merchant Center feed (TSV or XML)",
    "csv": "Our catalog CSV",
}
BATCH_SIZE = 1000
# A product's rows stay in one batch (so it is counted once), up to this many.
BATCH_MAX = 5 * BATCH_SIZE


def catalog_import(
    *,
    file: str | PathLike | BinaryIO,
    file_format: str,
    stores: Iterable[Store],
    dry_run: bool = False,
    editable_stores: Iterable[Store] | None = None,
) -> ImportReport:
    """Import a catalog file: create and update products and variants, never delete.

    `file` is a path or a binary file object; `file_format` one of FILE_FORMATS. Every
    product in the file is linked to `stores` (links are added, never removed).
    `dry_run`: everything is done, counted and rolled back (the admin's preview).
    `editable_stores`: for a store manager, the stores they manage; a row changing a
    product sold at none of them is refused. None: no such limit.

    Rows with a bad value (a barcode's check digit, a price) are refused and reported by
    row number and column; the rest imports. Raises CatalogFileUnreadable, with nothing
    saved, when the file cannot be read as that format at all (not UTF-8, no header it
    knows, malformed XML).
    """
    if file_format not in FILE_FORMATS:
        raise ValueError(f"{file_format!r} is not one of {', '.join(FILE_FORMATS)}")
    report = ImportReport(file_format=file_format, dry_run=dry_run)
    writer = CatalogWriter(
        report=report,
        store_ids=sorted({store.pk for store in stores}),
        editable_store_ids=(
            None if editable_stores is None else {store.pk for store in editable_stores}
        ),
    )
    with ExitStack() as files, transaction.atomic():
        binary = files.enter_context(open(file, "rb")) if isinstance(file, str | PathLike) else file
        try:
            for batch in _batches(_rows(binary, file_format, report.notes), report):
                writer.write(batch)
        except UnicodeDecodeError as error:
            raise CatalogFileUnreadable(
                f"The file is not UTF-8 text (byte {error.start} cannot be read): save it "
                "as CSV UTF-8 and try again."
            ) from None
        if dry_run:
            transaction.set_rollback(True)
    return report


def _rows(binary: BinaryIO, file_format: str, notes: list[str]) -> Iterator:
    if file_format == "merchant-center":
        start = binary.read(512)
        binary.seek(0)
        if start.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            return merchant_center_xml_rows(binary, notes)
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    parser = {
        "shopify": shopify_rows,
        "merchant-center": merchant_center_tsv_rows,
        "csv": our_csv_rows,
    }[file_format]
    return parser(text, notes)


def _batches(rows: Iterator[CatalogRow | RowRefused], report: ImportReport):
    """Batches of about BATCH_SIZE rows, cut between products; refused rows are counted."""
    batch: list[CatalogRow] = []
    for row in rows:
        if isinstance(row, RowRefused):
            report.refuse(str(row))
            continue
        if batch and (
            len(batch) >= BATCH_MAX
            or (len(batch) >= BATCH_SIZE and row.product_key != batch[-1].product_key)
        ):
            yield batch
            batch = []
        batch.append(row)
    if batch:
        yield batch
