"""OrderProtection's claim webhooks: checked, stored as they came, then applied in the background.

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
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kiosk.models import Claim, ClaimStateChange, Store, WebhookEvent
from kiosk.orderprotection import OrderProtectionClient, OrderProtectionError
from kiosk.orderprotection.answers import parse_timestamp
from kiosk.services.claim_state import NEW, claim_state_record
from kiosk.services.reconciliation import Lookup, LookupResult, remote_claims

logger = logging.getLogger(__name__)

STATE_OF_TOPIC = {"claim/created": NEW, "claim/approved": "APPROVED", "claim/denied": "DENIED"}


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
    envelope_id = _text(data.get("id"))
    if envelope_id:
        event_id = envelope_id[:128]
    else:
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
        event_id = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    topic = data.get("topic")
    topic = topic[:64] if isinstance(topic, str) and topic else "unknown"
    from kiosk.tasks import process_webhook_event

    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                event_id=event_id,
                topic=topic,
                body=data,
                occurred_at=parse_timestamp(data.get("created_at")),
            )
            transaction.on_commit(lambda: process_webhook_event.enqueue(event.pk), robust=True)
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


def webhook_event_process(*, event_pk: int, client: OrderProtectionClient | None = None) -> str:
    """Apply a stored event to its claim; returns (and records) what was done. Idempotent.

    The event's time is its created_at, or else when it was received; its store is the
    body's storeId (store_id); both go through `claim_state_record`'s rules.
    """
    event = WebhookEvent.objects.get(pk=event_pk)
    if event.processed_at:
        return event.outcome
    topic = event.topic.replace(".", "/").lower()
    body = event.body.get("body") if isinstance(event.body.get("body"), dict) else {}
    if topic not in STATE_OF_TOPIC:
        return _processed(event, f"topic {event.topic!r} is not followed; kept")
    try:
        claim = _claim_of(body, client)
    except OrderProtectionError as error:
        # Left unprocessed: `poll_claim_states` tries it again.
        event.outcome = f"lookup failed, to be tried again: {error.message}"[:200]
        event.save(update_fields=["outcome"])
        return event.outcome
    if claim is None:
        return _processed(event, "no claim of this portal matches; kept")
    state = STATE_OF_TOPIC[topic]
    if topic == "claim/created":
        state = _text(body.get("claimState") or body.get("claim_state")) or NEW
    resolution_type = _first_resolution_type(body)
    outcome = claim_state_record(
        claim=claim,
        state=state,
        as_of=event.occurred_at,
        received_at=event.received_at,
        store_id=_text(body.get("storeId") or body.get("store_id")),
        resolution=resolution_type if state != "DENIED" else "",
        reason=_text(body.get("reason") or resolution_type)[:64] if state == "DENIED" else "",
        source=ClaimStateChange.Source.WEBHOOK,
        event=event,
    )
    event.claim = claim
    return _processed(event, f"{state[:64]} {outcome}"[:200])


def _text(value: object) -> str:
    """A string field of the body as text; a number is written out, anything else is ''."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    return str(value).strip()


def _processed(event: WebhookEvent, outcome: str) -> str:
    event.processed_at = timezone.now()
    event.outcome = outcome
    event.save(update_fields=["processed_at", "outcome", "claim"])
    return outcome


def _claim_of(body: dict, client: OrderProtectionClient | None) -> Claim | None:
    """By claim number, by OrderProtection's claim id, or by looking that id up."""
    number = _text(body.get("sourceOrderId") or body.get("source_order_id"))
    op_id = _text(body.get("claimId") or body.get("claim_id"))[:64]
    claims = Claim.objects.filter(status=Claim.Status.FILED)
    if number and (claim := claims.filter(source_order_id=number).first()):
        if op_id and not claim.op_claim_id:
            Claim.objects.filter(pk=claim.pk).update(op_claim_id=op_id)
        return claim
    if not op_id:
        return None
    if claim := claims.filter(op_claim_id=op_id).first():
        return claim
    store_id = _text(body.get("storeId") or body.get("store_id"))
    store = Store.objects.filter(source_store_id=store_id).first() if store_id else None
    if store is None:
        return None
    return _claim_by_remote_id(store, op_id, client or OrderProtectionClient.from_settings())


def _claim_by_remote_id(store: Store, op_id: str, client: OrderProtectionClient) -> Claim | None:
    """Find the claim number of OrderProtection's claim id in GET /v1/claims (newest first)."""
    lookup = Lookup(LookupResult.NOT_FOUND)
    for remote in remote_claims(
        client=client, store_id=store.source_store_id, since=None, lookup=lookup
    ):
        if remote.id == op_id and remote.source_order_id:
            claim = Claim.objects.filter(
                status=Claim.Status.FILED, store=store, source_order_id=remote.source_order_id
            ).first()
            if claim is not None:
                Claim.objects.filter(pk=claim.pk).update(op_claim_id=op_id)
            return claim
    return None


def webhook_events_retry(*, older_than: float = 60.0) -> int:
    """Process again the events whose claim could not be looked up before."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    pending = WebhookEvent.objects.filter(processed_at__isnull=True, received_at__lt=cutoff)
    count = 0
    for event_pk in pending.values_list("pk", flat=True)[:100]:
        webhook_event_process(event_pk=event_pk)
        count += 1
    return count


def _first_resolution_type(body: dict) -> str:
    resolutions = body.get("resolutions")
    if isinstance(resolutions, list) and resolutions and isinstance(resolutions[0], dict):
        return str(resolutions[0].get("type") or "")[:64]
    return ""
