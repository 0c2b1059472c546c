"""CSV export of claims for managers: streamed, so 100,000 rows go out in constant memory.

The columns are listed in docs/desk.md. The file is UTF-8 and starts with a byte-order
mark, without which Excel reads it in the machine's legacy code page ("—" becomes "â€”").
Text a spreadsheet would run as a formula is made inert: see csv_cell_neutralised.
"""

import csv
import datetime
import re
from collections.abc import Callable, Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kiosk.choices import IssueType, Resolution
from kiosk.display import phone_display, store_zone
from kiosk.followup.claim_state import claim_state_label
from kiosk.models import Claim, RiskDecision
from kiosk.warranty_period import (
    WarrantyPeriodInvalid,
    warranty_period_parse,
    warranty_period_words,
)

# The fields each row is made from.
FIELDS = (
    "claim_number",
    "reference",
    "status",
    "attention_reason",
    "claim_state",
    "store__name",
    "store__source_store_id",
    "store__time_zone",
    "ship_first_name",
    "ship_last_name",
    "customer_email",
    "customer_phone",
    "item_name",
    "item_sku",
    "item_price",
    "issue_type",
    "resolution",
    "date_of_purchase",
    "warranty_period",
    "warranty_override_reason",
    "created_by__username",
    "created_at",
    "submitted_at",
    "filed_at",
    "risk_level",
    "risk_score",
    "risk_verdict",
)


def _label(choices) -> Callable[[str], str]:
    labels = dict(choices)
    return lambda code: str(labels.get(code, code)) if code else ""


def _coverage_when_submitted(row: dict) -> str:
    """Covered or expired on the day the claim was submitted, where the store is."""
    bought, period, submitted = row["date_of_purchase"], row["warranty_period"], row["submitted_at"]
    if bought is None or not period or submitted is None:
        return ""
    try:
        last_day = warranty_period_parse(period=period).last_day(bought)
    except (WarrantyPeriodInvalid, OverflowError):
        return _("Unknown")
    that_day = submitted.astimezone(store_zone(row["store__time_zone"])).date()
    return _("Covered") if that_day <= last_day else _("Expired")


def _warranty_ends(row: dict) -> datetime.date | None:
    if row["date_of_purchase"] is None or not row["warranty_period"]:
        return None
    try:
        return warranty_period_parse(period=row["warranty_period"]).last_day(
            row["date_of_purchase"]
        )
    except (WarrantyPeriodInvalid, OverflowError):
        return None


# (column, value of a row): human labels, with the codes beside them where one is sent.
EXPORT_COLUMNS: tuple[tuple[str, Callable[[dict], object]], ...] = (
    ("claim_number", lambda r: r["claim_number"]),
    ("reference", lambda r: r["reference"]),
    ("status", lambda r: _label(Claim.Status.choices)(r["status"])),
    ("status_code", lambda r: r["status"]),
    ("attention_reason", lambda r: _label(Claim.AttentionReason.choices)(r["attention_reason"])),
    ("attention_reason_code", lambda r: r["attention_reason"]),
    (
        "state_at_orderprotection",
        lambda r: r["claim_state"] and claim_state_label(r["claim_state"]),
    ),
    ("state_code", lambda r: r["claim_state"]),
    ("store", lambda r: r["store__name"]),
    ("store_id", lambda r: r["store__source_store_id"]),
    ("customer_first_name", lambda r: r["ship_first_name"]),
    ("customer_last_name", lambda r: r["ship_last_name"]),
    ("customer_email", lambda r: r["customer_email"]),
    ("customer_phone", lambda r: PhoneCell(phone_display(r["customer_phone"]))),
    ("item", lambda r: r["item_name"]),
    ("sku", lambda r: r["item_sku"]),
    ("price", lambda r: r["item_price"]),
    ("issue_type", lambda r: _label(IssueType.choices)(r["issue_type"])),
    ("issue_type_code", lambda r: r["issue_type"]),
    ("resolution", lambda r: _label(Resolution.choices)(r["resolution"])),
    ("resolution_code", lambda r: r["resolution"]),
    ("date_of_purchase", lambda r: r["date_of_purchase"]),
    ("warranty_period", lambda r: warranty_period_words(r["warranty_period"])),
    ("warranty_period_code", lambda r: r["warranty_period"]),
    ("warranty_ends", _warranty_ends),
    ("coverage_when_submitted", _coverage_when_submitted),
    ("warranty_override_reason", lambda r: r["warranty_override_reason"]),
    ("associate", lambda r: r["created_by__username"]),
    ("created_at", lambda r: _store_time(r, "created_at")),
    ("submitted_at", lambda r: _store_time(r, "submitted_at")),
    ("filed_at", lambda r: _store_time(r, "filed_at")),
    # Our own risk (kiosk.risk); blank until the claim is scored.
    ("risk", lambda r: _label(Claim.RiskLevel.choices)(r["risk_level"])),
    ("risk_code", lambda r: r["risk_level"]),
    ("risk_score", lambda r: r["risk_score"]),
    ("risk_decision", lambda r: _label(RiskDecision.Verdict.choices)(r["risk_verdict"])),
    ("risk_decision_code", lambda r: r["risk_verdict"]),
)


def _store_time(row: dict, name: str) -> str:
    """ISO 8601 with seconds and the offset, in the store's time zone."""
    if row[name] is None:
        return ""
    local = row[name].astimezone(store_zone(row["store__time_zone"]))
    return local.isoformat(timespec="seconds")


BYTE_ORDER_MARK = "\ufeff"
CHUNK_ROWS = 2000
# A formula starts with one of = + - @ (after spaces, a tab or a carriage return, which
# a spreadsheet may skip). It is also one after any character a spreadsheet may split a cell on
# (its list separator is , or ; or | by locale; Text Import also splits on tabs, and a
# line break starts a new row), spaces allowed in between.
FORMULA_AT_CELL_START = re.compile(r"^(?=[\t\r]|\s*[=+\-@])")
FORMULA_AFTER_SEPARATOR = re.compile(r"(?<=[,;|\t\r\n])(\s*)(?=[=+\-@])")
# A phone number as kiosk.display.phone_display writes it ("+1 217-555-0100") starts with
# "+" but is left as it is: with only digits, single spaces and hyphens after the "+" it
# can name no function, cell or other program, and the spaces keep a spreadsheet from
# reading it as one number (which "+12175550100" became). Anything else with a "+" first
# still gets the apostrophe.
INERT_PHONE_NUMBER = re.compile(r"\+[0-9]{1,3} [0-9]+(?:[ -][0-9]+)*")


class PhoneCell(str):
    """The customer's phone column: the only one where INERT_PHONE_NUMBER is let through."""


class _Echo:
    """A file-like object whose write() returns what it is given, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def claims_csv_rows(claims: QuerySet) -> Iterator[str]:
    """The CSV text, a line at a time: the header, then one line per claim."""
    writer = csv.writer(_Echo())
    yield BYTE_ORDER_MARK + writer.writerow([name for name, _value in EXPORT_COLUMNS])
    for row in claims.values(*FIELDS).iterator(chunk_size=CHUNK_ROWS):
        yield writer.writerow([csv_safe(value(row)) for _name, value in EXPORT_COLUMNS])


def csv_safe(value) -> str:
    """The value as a cell; text a spreadsheet would evaluate is made inert."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, PhoneCell) and INERT_PHONE_NUMBER.fullmatch(text):
        return text
    return csv_cell_neutralised(text)


def csv_cell_neutralised(text: str) -> str:
    """`text` with an apostrophe before every formula a spreadsheet could find in it: at
    the start of the cell, and after each separator it could split the cell on, so that
    every piece of a split cell is text too: "Kettle;=1+2" becomes "Kettle;'=1+2"."""
    text = FORMULA_AT_CELL_START.sub("'", text)
    return FORMULA_AFTER_SEPARATOR.sub(r"\1'", text)
