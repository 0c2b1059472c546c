"""One variant as a catalog file gives it, whatever the format, and the checks on its values.

A parser turns each line (or XML item) into a `CatalogRow`, or a `RowRefused` that says
where and why. A field left `None` is one the format does not carry: the import leaves it
alone on an existing product or variant. A field named in `fill_only` sets a value only
where there is none yet (a Merchant Center feed's per-item title never renames a product).
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from kiosk.barcodes import BarcodeInvalid, gtin14
from kiosk.models.catalog import NO_VARIANT_TITLE
from kiosk.validators import validate_iso_duration

PRODUCT_FIELDS = (
    "source_product_id",
    "handle",
    "name",
    "vendor",
    "product_type",
    "image_url",
    "warranty_period",
)
VARIANT_FIELDS = (
    "source_variant_id",
    "title",
    "sku",
    "barcode",
    "price",
    "image_url",
    "warranty_period",
)
# The models' max_length, checked before a bulk write (which does not validate).
MAX_LENGTHS = {
    "source_product_id": 100,
    "source_variant_id": 100,
    "handle": 255,
    "name": 255,
    "vendor": 255,
    "product_type": 255,
    "title": 255,
    "sku": 100,
    "image_url": 1000,
    "warranty_period": 32,
}
PRICE_MAX = Decimal("9999999999.99")  # max_digits=12, decimal_places=2
_url_valid = URLValidator(schemes=["http", "https"])


class CatalogFileUnreadable(Exception):
    """The file cannot be read as the chosen format at all: nothing was imported."""


class CellInvalid(ValueError):
    """A cell's value is refused; the parser names the row and column."""


@dataclass
class RowRefused:
    where: str  # "Row 7" or "Item 3": as a person finds it in the file
    message: str

    def __str__(self) -> str:
        return f"{self.where}, {self.message}"


@dataclass
class CatalogRow:
    where: str
    product: dict[str, object] = field(default_factory=dict)
    variant: dict[str, object] = field(default_factory=dict)
    # "product.name", "variant.sku", ...: set only where empty (or on a new object).
    fill_only: frozenset[str] = frozenset()

    @property
    def product_key(self) -> str:
        """What tells this row's product from the next one's, for batching."""
        product = self.product
        return str(product.get("source_product_id") or product.get("handle") or product["name"])


def cell_refusal(where: str, column: str, error: CellInvalid) -> RowRefused:
    return RowRefused(where, f"column “{column}”: {error}")


def clean_text(value: str | None, *, field_name: str) -> str:
    value = (value or "").strip()
    limit = MAX_LENGTHS.get(field_name)
    if limit and len(value) > limit:
        raise CellInvalid(f"longer than {limit} characters.")
    return value


def clean_barcode(value: str | None) -> str:
    """The GTIN-14 of a UPC/EAN code; empty stays empty."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return gtin14(value)
    except BarcodeInvalid as refused:
        raise CellInvalid(str(refused)) from None


def clean_price(value: str | None, *, currency_allowed: bool = False) -> Decimal | None:
    """A price such as 19.99 (a feed's "19.99 USD" with `currency_allowed`); empty is None."""
    text = (value or "").strip()
    if not text:
        return None
    number = text
    if currency_allowed:
        parts = text.split()
        if len(parts) == 2 and parts[1].isalpha() and len(parts[1]) == 3:
            number = parts[0]
    try:
        price = Decimal(number)
    except InvalidOperation:
        price = None
    if price is None or not price.is_finite():
        example = "19.99 USD" if currency_allowed else "19.99"
        raise CellInvalid(f"{text[:40]!r} is not a price such as {example}.")
    if price < 0:
        raise CellInvalid(f"{text!r} is negative.")
    if price.as_tuple().exponent < -2:
        raise CellInvalid(f"{text!r} has more than two decimal places.")
    if price > PRICE_MAX:
        raise CellInvalid(f"{text!r} is too large.")
    return price.quantize(Decimal("0.01"))


@lru_cache(maxsize=4096)  # a product's image repeats on each of its variants' rows
def clean_url(value: str | None) -> str:
    value = clean_text(value, field_name="image_url")
    if not value:
        return ""
    try:
        _url_valid(value)
    except ValidationError:
        raise CellInvalid(f"{value[:80]!r} is not an http(s) URL.") from None
    return value


def clean_warranty_period(value: str | None) -> str:
    typed = clean_text(value, field_name="warranty_period")
    if not typed:
        return ""
    try:
        validate_iso_duration(typed.upper())
    except ValidationError as refused:
        raise CellInvalid(f"{typed!r}: {' '.join(refused.messages)}") from None
    return typed.upper()


def variant_title(option_values: list[str]) -> str:
    """Shopify's option values as one title; its "Default Title" alone means none."""
    values = [value.strip() for value in option_values if value and value.strip()]
    if values == [NO_VARIANT_TITLE]:
        return ""
    return " / ".join(values)


class RowProblem(Exception):
    """Raised while a parser builds a row: the row is refused with this refusal."""

    def __init__(self, refusal: RowRefused):
        super().__init__(str(refusal))
        self.refusal = refusal


def cell(where: str, column: str, cleaner, value: str | None, **options):
    """`cleaner(value)`, or the row refused naming the column (RowProblem)."""
    try:
        return cleaner(value, **options)
    except CellInvalid as error:
        raise RowProblem(cell_refusal(where, column, error)) from None


def required(where: str, column: str, value: str | None) -> str:
    if not value:
        raise RowProblem(RowRefused(where, f"column “{column}” is empty; it is required."))
    return value
