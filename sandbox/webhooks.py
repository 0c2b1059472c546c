"""Webhooks the sandbox sends when a claim is filed, approved or denied.

Two spellings, as the docs show them (api-notes.md, section 4), both with the shared
secret in ``x-webhook-secret`` and no signature:

- ``app``: ``{"topic": "claim/approved", "body": {"claimId", "storeId", "resolutions"}}``,
  camelCase, with no event id and no claim number;
- ``merchant``: ``{"id", "topic": "claim.approved", "created_at", "body": {...}}``,
  snake_case, the claim number as ``source_order_id``.

A repeated delivery (``repeat`` > 1) sends the very same body again.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from sandbox.claims_book import ClaimRecord, timestamp

STYLES = ("app", "merchant")
EVENTS = ("created", "approved", "denied")


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    secret: str
    style: str = "app"
    repeat: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or not self.url.startswith(("http://", "https://")):
            raise ValueError("url must be an http(s) URL")
        if not isinstance(self.secret, str):
            raise ValueError("secret must be a string")
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}")
        if not isinstance(self.repeat, int) or isinstance(self.repeat, bool) or self.repeat < 1:
            raise ValueError("repeat must be a whole number >= 1")

    @classmethod
    def from_dict(cls, data: Any) -> WebhookTarget:
        if not isinstance(data, dict):
            raise ValueError("a webhook target must be a JSON object")
        unknown = sorted(set(data) - {"url", "secret", "style", "repeat"})
        if unknown:
            raise ValueError(f"unknown keys: {', '.join(unknown)}")
        return cls(**data)


def event_body(event: str, record: ClaimRecord, style: str) -> dict[str, Any]:
    """The JSON a webhook of this style posts for ``event`` about ``record``."""
    resolutions = [
        {"type": r["resolutionType"], "itemId": record.item_id, "quantity": 1}
        for r in record.resolutions[-1:]
    ]
    if style == "app":
        body = {"claimId": record.id, "storeId": record.store_id}
        if event != "created":
            body["resolutions"] = resolutions
        return {"topic": f"claim/{event}", "body": body}
    item = record.body.get("item", {})
    body = {
        "claim_id": record.id,
        "order_id": record.order_id,
        "source_order_id": record.source_order_id,
        "created_at": timestamp(record.created_at),
        "claim_description": item.get("details"),
        "claim_type": record.body.get("issueType"),
        "claim_state": record.state,
        "items": [
            {
                "product_id": item.get("sourceProductId"),
                "variant_id": item.get("sourceVariantId"),
                "sku": item.get("sku"),
                "item_id": item.get("sourceItemId"),
                "item_name": item.get("name"),
                "quantity": 1,
            }
        ],
    }
    if event != "created":
        body["resolutions"] = [
            {"type": r["type"], "details": {"items": [], "currency": "USD"}} for r in resolutions
        ]
    return {
        "id": str(uuid.uuid4()),
        "topic": f"claim.{event}",
        "created_at": timestamp(datetime.now(UTC)),
        "body": body,
    }


@dataclass
class Delivery:
    url: str
    topic: str
    event_id: str | None
    status: int | None
    error: str | None = None


class WebhookSender:
    """Posts events to the configured target and records every delivery attempt."""

    def __init__(self, *, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._target: WebhookTarget | None = None
        self._deliveries: list[Delivery] = []
        self._in_flight = 0
        self._idle = threading.Condition(self._lock)

    @property
    def target(self) -> WebhookTarget | None:
        with self._lock:
            return self._target

    def configure(self, target: WebhookTarget | None) -> None:
        with self._lock:
            self._target = target

    def clear(self) -> None:
        with self._lock:
            self._target = None
            self._deliveries.clear()

    def deliveries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(d) for d in self._deliveries]

    def send(self, event: str, record: ClaimRecord) -> list[dict[str, Any]]:
        """Post the event now (``repeat`` times); returns this event's deliveries."""
        target = self.target
        if target is None:
            return []
        body = event_body(event, record, target.style)
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "x-webhook-secret": target.secret}
        sent = []
        for _ in range(target.repeat):
            try:
                response = requests.post(
                    target.url, data=data, headers=headers, timeout=self.timeout
                )
                delivery = Delivery(target.url, body["topic"], body.get("id"), response.status_code)
            except requests.RequestException as exc:
                delivery = Delivery(
                    target.url, body["topic"], body.get("id"), None, type(exc).__name__
                )
            with self._lock:
                self._deliveries.append(delivery)
            sent.append(asdict(delivery))
        return sent

    def send_soon(self, event: str, record: ClaimRecord) -> None:
        """Post the event from a background thread, so that the caller's answer is not held."""
        if self.target is None:
            return
        with self._lock:
            self._in_flight += 1

        def run() -> None:
            try:
                self.send(event, record)
            finally:
                with self._lock:
                    self._in_flight -= 1
                    self._idle.notify_all()

        threading.Thread(target=run, name="sandbox-webhook", daemon=True).start()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no background delivery is under way; returns whether it got there."""
        with self._lock:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)
