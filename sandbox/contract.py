"""The sandbox's own statement of ``POST /v1/claims/offline``'s body.

Written from OrderProtection's "Create Offline Claim" page (shared/reference/
create-offline-claim.md), not from the portal: the sandbox stands in for an outside
party, so a mistake in the portal's schema must not be repeated here. Where the page
is silent (which nested keys are required), nothing is required; where it names keys,
types and enums, those are enforced, and keys it does not name are refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ISSUE_TYPES = (
    "STOLEN",
    "DAMAGED",
    "ORDER_DELIVERED_NOT_RECEIVED",
    "DEFECTIVE_ITEM",
    "WRONG_ITEM",
    "MISSING_ITEM",
    "RETURNED_TO_SENDER",
    "MULTIPLE",
    "TRACKING_NOT_MOVING",
    "WRONG_ADDRESS",
)
RESOLUTIONS = ("RESHIP", "REFUND", "STORE_CREDIT")

E164 = re.compile(r"\+[1-9][0-9]{1,14}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
URL = re.compile(r"https?://[^\s/]+/\S*")
DURATION = re.compile(
    r"P(?=[0-9T])([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+S)?)?"
)


@dataclass(frozen=True)
class FieldError:
    """One problem with one field; ``field`` is a dotted path such as ``item.images[0]``."""

    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """The JSON shape used in the sandbox's error bodies."""
        return {"field": self.field, "message": self.message}


Check = Callable[[str, Any], list[FieldError]]


def text(field: str, value: Any) -> list[FieldError]:
    if not isinstance(value, str):
        return [FieldError(field, f"{field} must be a string")]
    if not value.strip():
        return [FieldError(field, f"{field} must not be empty; leave the key out instead")]
    return []


def matching(pattern: re.Pattern[str], what: str) -> Check:
    def check(field: str, value: Any) -> list[FieldError]:
        if problems := text(field, value):
            return problems
        if not pattern.fullmatch(value):
            return [FieldError(field, f"{field} must be {what} (got {value[:80]!r})")]
        return []

    return check


def timestamp(field: str, value: Any) -> list[FieldError]:
    if problems := text(field, value):
        return problems
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or "T" not in value or parsed.tzinfo is None:
        return [FieldError(field, f"{field} must be an ISO-8601 timestamp with a time zone")]
    return []


def number(minimum: float, maximum: float) -> Check:
    def check(field: str, value: Any) -> list[FieldError]:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [FieldError(field, f"{field} must be a number")]
        if not math.isfinite(value) or not minimum <= value <= maximum:
            return [FieldError(field, f"{field} must be between {minimum:g} and {maximum:g}")]
        return []

    return check


def boolean(field: str, value: Any) -> list[FieldError]:
    return [] if isinstance(value, bool) else [FieldError(field, f"{field} must be true or false")]


def one_of(*choices: str) -> Check:
    def check(field: str, value: Any) -> list[FieldError]:
        if value not in choices:
            return [FieldError(field, f"{field} must be one of {', '.join(choices)}")]
        return []

    return check


def list_of(check: Check) -> Check:
    def check_list(field: str, value: Any) -> list[FieldError]:
        if not isinstance(value, list):
            return [FieldError(field, f"{field} must be a list")]
        return [problem for i, item in enumerate(value) for problem in check(f"{field}[{i}]", item)]

    return check_list


def signature(field: str, value: Any) -> list[FieldError]:
    """A URL, or the empty string: the page says the signature "can be empty string"."""
    return [] if value == "" else image_url(field, value)


image_url = matching(URL, "an absolute http(s) URL")


@dataclass(frozen=True)
class Shape:
    """An object: the keys the page names, each with its check; ``required`` top-level keys."""

    keys: dict[str, Check | Shape]
    required: tuple[str, ...] = ()

    def __call__(self, field: str, value: Any) -> list[FieldError]:
        if not isinstance(value, dict):
            return [FieldError(field or "body", f"{field or 'the body'} must be an object")]
        problems = [
            FieldError(_join(field, key), f"{_join(field, key)} is required")
            for key in self.required
            if key not in value
        ]
        for key, item in value.items():
            path = _join(field, str(key))
            check = self.keys.get(key)
            if check is None:
                problems.append(FieldError(path, f"{path} is not a documented field"))
            else:
                problems.extend(check(path, item))
        return problems


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


OFFLINE_CLAIM = Shape(
    keys={
        "customer": Shape(
            {
                "email": matching(EMAIL, "an email address"),
                "phoneNumber": matching(E164, "an E.164 phone number such as +1234567890"),
            }
        ),
        "item": Shape(
            {
                "sourceProductId": text,
                "sourceVariantId": text,
                "name": text,
                "images": list_of(image_url),
                "sourceItemId": text,
                "sku": text,
                "details": text,
                "productImage": image_url,
                "price": number(0, 1e12),
                "subIssueId": text,
            }
        ),
        "warranty": Shape(
            {
                "dateOfPurchase": timestamp,
                "receiptRequired": boolean,
                "receiptImages": list_of(image_url),
                "warrantyPeriod": matching(DURATION, "an ISO-8601 duration such as P1Y"),
                "productDescription": text,
            }
        ),
        "shippingAddress": Shape(
            {
                "firstName": text,
                "lastName": text,
                "address1": text,
                "address2": text,
                "city": text,
                "zip": text,
                "country": text,
                "countryAbr": text,
                "state": text,
                "stateAbr": text,
                "lat": number(-90, 90),
                "lng": number(-180, 180),
                "addressOrigin": text,
            }
        ),
        "storeId": text,
        "signature": signature,
        "salesChannel": one_of("ONLINE", "IN_STORE"),
        "claimCategory": one_of("SHIPPING", "WARRANTY"),
        "issueType": one_of(*ISSUE_TYPES),
        "resolution": one_of(*RESOLUTIONS),
        "claimFiledFrom": one_of("EXTERNAL", "INTERNAL"),
        "options": Shape({"fromValet": boolean, "requireCustomerSignature": boolean}),
    },
    required=(
        "customer",
        "item",
        "warranty",
        "shippingAddress",
        "storeId",
        "signature",
        "salesChannel",
        "claimCategory",
        "issueType",
        "resolution",
    ),
)


def contract_errors(body: Any) -> list[FieldError]:
    """Every way ``body`` breaks the documented contract, each naming its field."""
    return OFFLINE_CLAIM("", body)
