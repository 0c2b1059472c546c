"""CSV export of claims for managers: streamed, so 100,000 rows go out in constant memory.

The columns are listed in the README. A cell a spreadsheet would run as a
formula (starting with =, +, -, @, a tab or a carriage return) is prefixed
with an apostrophe, so it shows as text.
"""

import csv
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone

EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("claim_number", "source_order_id"),
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
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 2000


class _Echo:
    """A file-like object whose write() returns what it is given, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def claims_csv_rows(claims: QuerySet) -> Iterator[str]:
    """The CSV text, a line at a time: the header, then one line per claim."""
    writer = csv.writer(_Echo())
    yield writer.writerow([name for name, _ in EXPORT_COLUMNS])
    fields = [field for _, field in EXPORT_COLUMNS]
    for values in claims.values_list(*fields).iterator(chunk_size=CHUNK_ROWS):
        yield writer.writerow([csv_safe(value) for value in values])


def csv_safe(value) -> str:
    """The value as a cell; text a spreadsheet would evaluate is made inert."""
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        value = timezone.localtime(value).isoformat(timespec="seconds")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
