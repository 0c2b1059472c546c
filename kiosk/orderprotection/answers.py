"""Reading OrderProtection's answers, which are documented only in part, tolerantly."""

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests


@dataclass(frozen=True)
class FiledClaim:
    claim_number: str
    payload: dict[str, Any]
    exchange: Any = field(compare=False)


@dataclass(frozen=True)
class RemoteClaim:
    """A claim as OrderProtection lists it (GET /v1/claims, GET /v1/orders/{id}/claims).

    Every field the docs show may be missing; what is missing is None.
    """

    id: str | None
    store_id: str | None
    claim_number: str | None
    author_email: str | None
    author_name: str | None
    description: str | None
    claim_type: str | None
    state: str | None
    created_at: datetime | None
    updated_at: datetime | None
    resolution: str | None
    denial_reason: str | None

    @classmethod
    def from_node(cls, node: dict[str, Any]) -> "RemoteClaim":
        resolution, denial_reason = _resolution_and_reason(node)
        return cls(
            id=_text(node.get("id")),
            store_id=_text(node.get("storeId")),
            claim_number=_text(node.get("sourceOrderId")),
            author_email=_text(node.get("authorEmail")),
            author_name=_text(node.get("authorName")),
            description=_text(node.get("claimDescription")),
            claim_type=_text(node.get("claimType")),
            state=_text(node.get("claimState")),
            created_at=parse_timestamp(node.get("createdAt")),
            updated_at=parse_timestamp(node.get("updatedAt")),
            resolution=resolution,
            denial_reason=denial_reason,
        )


@dataclass(frozen=True)
class ClaimPage:
    """One page of GET /v1/claims: its claims, and the cursor of the next page if any."""

    claims: list[RemoteClaim]
    next_cursor: str | None
    body: dict[str, Any]


class UnreadableAnswer(ValueError):
    """The answer is not in the shape the docs show."""


def json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return None


def claim_page_from(body: Any) -> ClaimPage:
    """Parse the documented `{edges: [{node}], pageInfo: {endCursor, hasNextPage}}` shape."""
    if not isinstance(body, dict) or not isinstance(body.get("edges"), list):
        raise UnreadableAnswer("The claim list has no 'edges'.")
    nodes = [edge.get("node") for edge in body["edges"] if isinstance(edge, dict)]
    claims = [RemoteClaim.from_node(node) for node in nodes if isinstance(node, dict)]
    page_info = body.get("pageInfo") if isinstance(body.get("pageInfo"), dict) else {}
    cursor = _text(page_info.get("endCursor"))
    has_next = page_info.get("hasNextPage") is True
    return ClaimPage(claims=claims, next_cursor=cursor if has_next and cursor else None, body=body)


def order_claims_from(body: Any) -> list[RemoteClaim]:
    """GET /v1/orders/{id}/claims answers a plain array; tolerate the list envelopes too."""
    if isinstance(body, dict):
        body = body.get("payload", body.get("claims", body.get("edges")))
    if not isinstance(body, list):
        raise UnreadableAnswer("The order's claims are not a list.")
    nodes = [item.get("node", item) if isinstance(item, dict) else None for item in body]
    return [RemoteClaim.from_node(node) for node in nodes if isinstance(node, dict)]


def parse_timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        # In UTC, year 1 or 9999 with an offset leaves the range a database can store.
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def retry_after_seconds(response: requests.Response, *, maximum: float) -> float | None:
    """Retry-After as seconds in [0, maximum]; it may be a number of seconds or an HTTP date.

    Nonsense (inf, NaN, a negative number, a date long past) never strands a claim.
    """
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(0.0, seconds), maximum)


def error_message_and_field(body: Any) -> tuple[str, str]:
    """Read a message and a field from an error body of unknown shape."""
    if not isinstance(body, dict):
        return "", ""
    message = body.get("message") or body.get("error") or body.get("detail") or ""
    if isinstance(message, dict):
        message = message.get("message", "")
    field_path = body.get("field") or body.get("path") or ""
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message = message or errors[0].get("message", "")
        field_path = field_path or errors[0].get("field") or errors[0].get("path") or ""
    return str(message), str(field_path)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _resolution_and_reason(node: dict[str, Any]) -> tuple[str | None, str | None]:
    """The latest resolution's type; for a denied claim that type is the denial reason."""
    resolutions = node.get("claimResolutions")
    if not isinstance(resolutions, list) or not resolutions:
        return None, None
    last = resolutions[-1] if isinstance(resolutions[-1], dict) else {}
    kind = _text(last.get("resolutionType") or last.get("resolution") or last.get("type"))
    if _text(node.get("claimState")) == "DENIED":
        return None, kind
    return kind, None
