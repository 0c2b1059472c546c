"""OrderProtection's claim webhooks: checked, stored as they came, then applied in the background
(kiosk.followup.webhook_events).

The docs show two spellings. App webhooks post `{"topic": "claim/approved",
"body": {"claimId", "storeId", "resolutions": [...]}}` (camelCase, no event
id); merchant webhooks post `{"id", "topic": "claim.approved", "created_at",
"body": {"claim_id", "source_order_id", ...}}` (snake_case). Both carry the
shared secret in `x-webhook-secret`, compared in constant time.
"""

import hashlib
import hmac
import json
import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from kiosk.followup.tasks import webhook_event_process_task
from kiosk.followup.webhook_events import field_text
from kiosk.models import WebhookEvent
from kiosk.orderprotection.answers import parse_timestamp

logger = logging.getLogger(__name__)


class WebhookRefused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Received:
    event: WebhookEvent
    duplicate: bool


def webhook_secret_valid(*, given: str | None) -> bool:
    expected = settings.ORDERPROTECTION_WEBHOOK_SECRET
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def webhook_receive(*, raw_body: bytes) -> Received:
    """Store an event once (deliveries may repeat) and enqueue its processing.

    An event is known by its envelope's id, or else by the SHA-256 of its canonical
    JSON (keys sorted, no spaces), so a body sent again with other whitespace or key
    order is a duplicate; the unique event_id keeps two concurrent deliveries from both
    being stored. Raises WebhookRefused(400) for a body that is not a JSON object the
    database can hold (see `webhook_body_parse`).
    """
    data = webhook_body_parse(raw_body=raw_body)
    envelope_id = field_text(data.get("id"))
    if envelope_id:
        event_id = envelope_id[:128]
    else:
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
        event_id = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    topic = data.get("topic")
    topic = topic[:64] if isinstance(topic, str) and topic else "unknown"
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                event_id=event_id,
                topic=topic,
                body=data,
                occurred_at=parse_timestamp(data.get("created_at")),
            )
            transaction.on_commit(lambda: webhook_event_process_task.enqueue(event.pk), robust=True)
    except IntegrityError:
        stored = WebhookEvent.objects.filter(event_id=event_id).first()
        if stored is None:
            raise
        return Received(stored, duplicate=True)
    return Received(event, duplicate=False)


def webhook_body_parse(*, raw_body: bytes) -> dict:
    """The body as a JSON object, or WebhookRefused(400) saying why not.

    Refused: what is not JSON; NaN, Infinity and numbers too large for a float (JSON
    has none, and the database refuses them); nesting deeper than WEBHOOK_MAX_DEPTH;
    text with NUL or a lone surrogate (PostgreSQL's jsonb refuses both); anything but
    an object at the top.
    """
    try:
        data = json.loads(raw_body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise WebhookRefused(400, "The body is nested too deeply.") from None
    except (UnicodeDecodeError, ValueError):
        raise WebhookRefused(400, "The body is not JSON.") from None
    if not isinstance(data, dict):
        raise WebhookRefused(400, "The body is not a JSON object.")
    _check_shape(data, max_depth=settings.WEBHOOK_MAX_DEPTH)
    return data


def _refuse_constant(name: str) -> None:
    raise WebhookRefused(400, f"The body holds {name}, which JSON does not allow.")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise WebhookRefused(400, "The body holds a number too large to store.")
    return number


def _check_shape(data: dict, *, max_depth: int) -> None:
    """Walked without recursion, so that the check itself cannot overflow the stack."""
    pending: list[tuple[object, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            if depth > max_depth:
                raise WebhookRefused(400, f"The body is nested deeper than {max_depth} levels.")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                pending.append((key, depth))
                pending.append((item, depth + 1))
        elif isinstance(value, str) and not _storable(value):
            raise WebhookRefused(400, "The body holds text with NUL or a lone surrogate.")


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
