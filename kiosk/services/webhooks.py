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
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kiosk.models import Claim, ClaimStateChange, Store, WebhookEvent
from kiosk.orderprotection import OrderProtectionClient, OrderProtectionError
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

    Raises WebhookRefused(400) for a body that is not a JSON object.
    """
    try:
        data = json.loads(raw_body)
    except (UnicodeDecodeError, ValueError):
        raise WebhookRefused(400, "The body is not JSON.") from None
    if not isinstance(data, dict):
        raise WebhookRefused(400, "The body is not a JSON object.")
    envelope_id = data.get("id")
    if isinstance(envelope_id, (str, int)) and str(envelope_id).strip():
        event_id = str(envelope_id).strip()[:128]
    else:
        event_id = "sha256:" + hashlib.sha256(raw_body).hexdigest()
    topic = data.get("topic")
    topic = topic[:64] if isinstance(topic, str) and topic else "unknown"
    from kiosk.tasks import process_webhook_event

    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(event_id=event_id, topic=topic, body=data)
            transaction.on_commit(lambda: process_webhook_event.enqueue(event.pk), robust=True)
    except IntegrityError:
        return Received(WebhookEvent.objects.get(event_id=event_id), duplicate=True)
    return Received(event, duplicate=False)


def webhook_event_process(*, event_pk: int, client: OrderProtectionClient | None = None) -> str:
    """Apply a stored event to its claim; returns (and records) what was done. Idempotent."""
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
        state = str(body.get("claimState") or body.get("claim_state") or NEW)
    resolution_type = _first_resolution_type(body)
    changed = claim_state_record(
        claim=claim,
        state=state,
        resolution=resolution_type if state != "DENIED" else "",
        reason=str(body.get("reason") or resolution_type) if state == "DENIED" else "",
        source=ClaimStateChange.Source.WEBHOOK,
        event=event,
    )
    event.claim = claim
    return _processed(event, f"{state} recorded" if changed else f"{state} already known")


def _processed(event: WebhookEvent, outcome: str) -> str:
    event.processed_at = timezone.now()
    event.outcome = outcome
    event.save(update_fields=["processed_at", "outcome", "claim"])
    return outcome


def _claim_of(body: dict, client: OrderProtectionClient | None) -> Claim | None:
    """By claim number, by OrderProtection's claim id, or by looking that id up."""
    number = body.get("sourceOrderId") or body.get("source_order_id")
    op_id = body.get("claimId") or body.get("claim_id")
    claims = Claim.objects.filter(status=Claim.Status.FILED)
    if number and (claim := claims.filter(source_order_id=str(number)).first()):
        if op_id and not claim.op_claim_id:
            Claim.objects.filter(pk=claim.pk).update(op_claim_id=str(op_id))
        return claim
    if not op_id:
        return None
    if claim := claims.filter(op_claim_id=str(op_id)).first():
        return claim
    store = Store.objects.filter(
        source_store_id=str(body.get("storeId") or body.get("store_id") or "")
    ).first()
    if store is None:
        return None
    return _claim_by_remote_id(store, str(op_id), client or OrderProtectionClient.from_settings())


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
