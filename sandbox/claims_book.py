"""The claims the sandbox has filed, as OrderProtection's read endpoints show them.

``GET /v1/claims`` answers the documented ``{edges: [{node}], pageInfo}`` shape, newest
first, paged by an opaque cursor; ``GET /v1/orders/{sourceOrderId}/claims`` a plain
array (api-notes.md, section 4). A control call moves a claim to another state.
"""

from __future__ import annotations

import base64
import random
import string
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from sandbox.handler import Reply, error_reply, json_reply

# claimState values (api-notes.md, section 4).
CLAIM_STATES = (
    "APPROVED",
    "ARCHIVED",
    "CLOSED",
    "COMMUNICATING",
    "DENIED",
    "DISMISSED",
    "NEW",
    "OPEN",
    "RESOLVED",
    "RESOLVED_BY_BRAND",
    "TEMPORARILY_DISMISSED",
    "WAITING_FOR_BRAND",
    "WAITING_FOR_CUSTOMER",
    "WAITING_FOR_OP",
)
APPROVAL_TYPES = ("REFUND", "RESHIP", "STORE_CREDIT")
# claim.denied resolution types (api-notes.md, section 4).
DENIAL_TYPES = (
    "ADDRESS_TYPO",
    "CUSTOMER_RESPONDED",
    "EXPIRED30",
    "FOLLOW_UP",
    "INSUFFICIENT_SHIPPER",
    "NOT_COVERED",
    "NO_RESPONSE",
    "OTHER",
    "PACKAGE_ARRIVED",
    "PHOTO_VERIFIED",
    "THRESHOLD_REACHED",
    "ALREADY_REFUNDED",
    "ALREADY_REPLACED",
    "POTENTIAL_FRAUD",
)
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50


def timestamp(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds, e.g. 2026-11-28T19:16:05.123Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class ClaimRecord:
    """One filed claim: what was sent, and what OrderProtection made of it since."""

    sequence: int
    id: str
    order_id: str
    source_order_id: str
    body: dict[str, Any]
    key: str | None
    created_at: datetime
    updated_at: datetime
    state: str = "NEW"
    resolutions: list[dict[str, Any]] = field(default_factory=list)
    resolution_date: datetime | None = None

    @property
    def store_id(self) -> str | None:
        return self.body.get("storeId")

    @property
    def item_id(self) -> str | None:
        return self.body.get("item", {}).get("sourceItemId")

    def node(self) -> dict[str, Any]:
        """The claim as ``GET /v1/claims`` lists it."""
        address = self.body.get("shippingAddress", {})
        name = f"{address.get('firstName', '')} {address.get('lastName', '')}".strip()
        return {
            "id": self.id,
            "storeId": self.store_id,
            "orderId": self.order_id,
            "sourceOrderId": self.source_order_id,
            "sourceOrderNumber": self.source_order_id,
            "authorName": name or None,
            "authorEmail": self.body.get("customer", {}).get("email"),
            "claimDescription": self.body.get("item", {}).get("details"),
            "claimState": self.state,
            "isOta": False,
            "otaDescription": None,
            "externalSource": "api",
            "claimType": self.body.get("issueType"),
            "createdAt": timestamp(self.created_at),
            "updatedAt": timestamp(self.updated_at),
            "deletedAt": None,
            "policyId": None,
            "claimResolutions": [dict(r) for r in self.resolutions],
            "claimItems": [
                {"id": f"{self.id}-item", "claimId": self.id, "itemId": self.item_id, "quantity": 1}
            ],
            "claimMessages": [],
        }

    def order_claim(self) -> dict[str, Any]:
        """The claim as ``GET /v1/orders/{sourceOrderId}/claims`` shows it."""
        return self.node() | {
            "claimFiledFrom": self.body.get("claimFiledFrom"),
            "customerId": None,
            "resolutionRequested": self.body.get("resolution"),
            "resolutionDate": timestamp(self.resolution_date) if self.resolution_date else None,
        }


class ClaimBook:
    """Thread-safe store of filed claims, in the order they were filed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[ClaimRecord] = []
        self._by_number: dict[str, ClaimRecord] = {}
        self._issued_numbers: set[str] = set()
        self._random = random.Random()

    def clear(self) -> None:
        """Forget every claim (numbers once issued are never issued again)."""
        with self._lock:
            self._records.clear()
            self._by_number.clear()

    def file(self, body: dict[str, Any], key: str | None) -> ClaimRecord:
        with self._lock:
            while True:
                number = self._random.randrange(100_000_000)
                source_order_id = f"SB-{number // 10_000:04d}-{number % 10_000:04d}"
                if source_order_id not in self._issued_numbers:
                    break
            self._issued_numbers.add(source_order_id)
            now = datetime.now(UTC)
            record = ClaimRecord(
                sequence=len(self._records) + 1,
                id=self._cuid(),
                order_id=self._cuid(),
                source_order_id=source_order_id,
                body=body,
                key=key,
                created_at=now,
                updated_at=now,
            )
            self._records.append(record)
            self._by_number[source_order_id] = record
            return record

    def records(self) -> list[ClaimRecord]:
        with self._lock:
            return list(self._records)

    def get(self, source_order_id: str) -> ClaimRecord | None:
        with self._lock:
            return self._by_number.get(source_order_id)

    def page(self, *, store_id: str | None, size: int | None, cursor: str | None) -> dict:
        """A page of ``GET /v1/claims``, newest first; ``store_id=None`` lists every store's.

        The cursor names the last claim of the previous page, so claims filed while a
        client pages through never make it skip or repeat older ones.
        """
        size = DEFAULT_PAGE_SIZE if size is None else max(1, min(size, MAX_PAGE_SIZE))
        after = _decode_cursor(cursor)
        with self._lock:
            newest_first = [
                r
                for r in reversed(self._records)
                if (store_id is None or r.store_id == store_id)
                and (after is None or r.sequence < after)
            ]
        shown, rest = newest_first[:size], newest_first[size:]
        return {
            "edges": [{"node": record.node()} for record in shown],
            "pageInfo": {
                "startCursor": _encode_cursor(shown[0].sequence) if shown else None,
                "endCursor": _encode_cursor(shown[-1].sequence) if shown else None,
                "hasNextPage": bool(rest),
                "hasPreviousPage": after is not None,
            },
        }

    def set_state(
        self, source_order_id: str, state: str, *, resolution: str | None, reason: str | None
    ) -> ClaimRecord:
        """Move a claim to ``state``; APPROVED and DENIED add a resolution. ValueError if bad."""
        if state not in CLAIM_STATES:
            raise ValueError(f"state must be one of {', '.join(CLAIM_STATES)}")
        if state == "APPROVED" and (resolution or "REFUND") not in APPROVAL_TYPES:
            raise ValueError(f"resolution must be one of {', '.join(APPROVAL_TYPES)}")
        if state == "DENIED" and (reason or "OTHER") not in DENIAL_TYPES:
            raise ValueError(f"reason must be one of {', '.join(DENIAL_TYPES)}")
        with self._lock:
            record = self._by_number.get(source_order_id)
            if record is None:
                raise KeyError(source_order_id)
            now = datetime.now(UTC)
            record.state, record.updated_at = state, now
            kind = {"APPROVED": resolution or "REFUND", "DENIED": reason or "OTHER"}.get(state)
            if kind is not None:
                record.resolution_date = now
                record.resolutions.append(_resolution(record, kind, state))
            return record

    def _cuid(self) -> str:
        alphabet = string.ascii_lowercase + string.digits
        return "c" + "".join(self._random.choice(alphabet) for _ in range(24))


def _resolution(record: ClaimRecord, kind: str, state: str) -> dict[str, Any]:
    price = record.body.get("item", {}).get("price")
    paid = price if state == "APPROVED" and kind == "REFUND" else None
    return {
        "id": f"{record.id}-resolution-{len(record.resolutions) + 1}",
        "claimId": record.id,
        "claimState": state,
        "userId": None,
        "resolutionType": kind,
        "resolutionDetails": None,
        "paidValue": paid,
        "paidCurrency": "USD" if paid is not None else None,
        "paidOriginalValue": paid,
        "includeShipping": False,
        "shippingAmount": None,
        "creditStore": kind == "STORE_CREDIT",
    }


def _encode_cursor(sequence: int) -> str:
    return base64.urlsafe_b64encode(f"claim:{sequence}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int | None:
    """The sequence a cursor names; ValueError for a cursor the sandbox never gave."""
    if not cursor:
        return None
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, sequence = decoded.partition(":")
        if prefix != "claim":
            raise ValueError
        return int(sequence)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("invalid cursor") from None


def listing_reply(
    book: ClaimBook, query: str, params: tuple[str, str], store_id: str | None
) -> Reply:
    """The reply to ``GET /v1/claims?<size>=…&<cursor>=…``; unknown parameters are ignored."""
    values = parse_qs(query)
    size_param, cursor_param = params
    size_text = values.get(size_param, [None])[0]
    try:
        size = int(size_text) if size_text is not None else None
    except ValueError:
        return error_reply(400, f"{size_param} must be a whole number")
    try:
        body = book.page(store_id=store_id, size=size, cursor=values.get(cursor_param, [None])[0])
    except ValueError as exc:
        return error_reply(400, str(exc))
    return json_reply(200, body)
