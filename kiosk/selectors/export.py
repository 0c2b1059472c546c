"""CSV export of claims for managers: streamed, so 100,000 rows go out in constant memory.

The columns are listed in docs/desk.md. The file is UTF-8 and starts with a byte-order
mark, without which Excel reads it in the machine's legacy code page ("—" becomes "â€”").
Text a spreadsheet would run as a formula is made inert: see csv_cell_neutralised.
"""

import csv
import re
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone

EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("claim_number", "claim_number"),
    ("reference", "reference"),
    ("status", "status"),
    ("attention_reason", "attention_reason"),
    ("state_at_orderprotection", "claim_state"),
    ("store", "store__name"),
    ("store_id", "store__source_store_id"),
    ("customer_first_name", "ship_first_name"),
    ("customer_last_name", "ship_last_name"),
    ("customer_email", "customer_email"),
    ("customer_phone", "customer_phone"),
    ("item", "item_name"),
    ("sku", "item_sku"),
    ("price", "item_price"),
    ("issue_type", "issue_type"),
    ("resolution", "resolution"),
    ("date_of_purchase", "date_of_purchase"),
    ("associate", "created_by__username"),
    ("created_at", "created_at"),
    ("submitted_at", "submitted_at"),
    ("filed_at", "filed_at"),
)
BYTE_ORDER_MARK = "\ufeff"
CHUNK_ROWS = 2000
# A formula starts with one of = + - @ (after spaces, a tab or a carriage return, which
# a spreadsheet may skip). It is also one after any character a spreadsheet may split a cell on
# (its list separator is , or ; or | by locale; Text Import also splits on tabs, and a
# line break starts a new row), spaces allowed in between.
FORMULA_AT_CELL_START = re.compile(r"^(?=[\t\r]|\s*[=+\-@])")
FORMULA_AFTER_SEPARATOR = re.compile(r"(?<=[,;|\t\r\n])(\s*)(?=[=+\-@])")


class _Echo:
    """A file-like object whose write() returns what it is given, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def claims_csv_rows(claims: QuerySet) -> Iterator[str]:
    """The CSV text, a line at a time: the header, then one line per claim."""
    writer = csv.writer(_Echo())
    yield BYTE_ORDER_MARK + writer.writerow([name for name, _ in EXPORT_COLUMNS])
    fields = [field for _, field in EXPORT_COLUMNS]
    for values in claims.values_list(*fields).iterator(chunk_size=CHUNK_ROWS):
        yield writer.writerow([csv_safe(value) for value in values])


def csv_safe(value) -> str:
    """The value as a cell; text a spreadsheet would evaluate is made inert."""
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        value = timezone.localtime(value).isoformat(timespec="seconds")
    return csv_cell_neutralised(str(value))


def csv_cell_neutralised(text: str) -> str:
    """`text` with an apostrophe before every formula a spreadsheet could find in it: at
    the start of the cell, and after each separator it could split the cell on, so that
    every piece of a split cell is text too: "Kettle;=1+2" becomes "Kettle;'=1+2"."""
    text = FORMULA_AT_CELL_START.sub("'", text)
    return FORMULA_AFTER_SEPARATOR.sub(r"\1'", text)
