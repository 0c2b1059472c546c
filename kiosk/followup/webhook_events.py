"""Applying a stored OrderProtection webhook event to its claim (in the background)."""

from datetime import timedelta

from django.utils import timezone

from kiosk.delivery.listing import cached_listing, listing_read
from kiosk.followup.claim_state import NEW, claim_state_record
from kiosk.models import Claim, ClaimStateChange, Store, WebhookEvent
from kiosk.orderprotection import (
    ApiUnavailable,
    HttpExchange,
    OrderProtectionClient,
    OrderProtectionError,
    RemoteClaim,
)

STATE_OF_TOPIC = {"claim/created": NEW, "claim/approved": "APPROVED", "claim/denied": "DENIED"}


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
        state = field_text(body.get("claimState") or body.get("claim_state")) or NEW
    resolution_type = _first_resolution_type(body)
    outcome = claim_state_record(
        claim=claim,
        state=state,
        as_of=event.occurred_at,
        received_at=event.received_at,
        store_id=field_text(body.get("storeId") or body.get("store_id")),
        resolution=resolution_type if state != "DENIED" else "",
        reason=field_text(body.get("reason") or resolution_type)[:64] if state == "DENIED" else "",
        source=ClaimStateChange.Source.WEBHOOK,
        event=event,
    )
    event.claim = claim
    return _processed(event, f"{state[:64]} {outcome}"[:200])


def field_text(value: object) -> str:
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
    number = field_text(body.get("sourceOrderId") or body.get("source_order_id"))
    op_id = field_text(body.get("claimId") or body.get("claim_id"))[:64]
    claims = Claim.objects.filter(status=Claim.Status.FILED)
    if number and (claim := claims.filter(claim_number=number).first()):
        if op_id and not claim.orderprotection_id:
            Claim.objects.filter(pk=claim.pk).update(orderprotection_id=op_id)
        return claim
    if not op_id:
        return None
    if claim := claims.filter(orderprotection_id=op_id).first():
        return claim
    store_id = field_text(body.get("storeId") or body.get("store_id"))
    store = Store.objects.filter(source_store_id=store_id).first() if store_id else None
    if store is None:
        return None
    return _claim_by_remote_id(store, op_id, client or OrderProtectionClient.from_settings())


def _claim_by_remote_id(store: Store, op_id: str, client: OrderProtectionClient) -> Claim | None:
    """Find OrderProtection's claim id in GET /v1/claims (newest first) and so its claim.

    A paging of the store still cached (a lookup's, kiosk.delivery.listing) is searched
    first. Every page read records the ids of the filed claims it shows, so the webhooks
    of the claims filed with this one are then matched by id, with no lookup of their own.
    """
    cached = cached_listing(client=client, store_id=store.source_store_id)
    if cached is None or not _listed(cached.claims, op_id):
        listing = listing_read(
            client=client,
            store_id=store.source_store_id,
            reach=None,
            until=lambda listing: _listed(listing.claims, op_id),
        )
        if not listing.complete and not _listed(listing.claims, op_id):
            raise ApiUnavailable(
                f"Looked through {listing.pages} pages of claims without finding "
                f"OrderProtection's claim {op_id} (DELIVERY_LOOKUP_MAX_PAGES).",
                exchange=HttpExchange(url=client.claims_url),
            )
        cached = listing
    number = _listed(cached.claims, op_id)
    if not number:
        return None
    claim = Claim.objects.filter(
        status=Claim.Status.FILED, store=store, claim_number=number
    ).first()
    if claim is not None and claim.orderprotection_id != op_id:
        Claim.objects.filter(pk=claim.pk).update(orderprotection_id=op_id)
    return claim


def _listed(remote: list[RemoteClaim], op_id: str) -> str | None:
    """The claim number of OrderProtection's claim `op_id` in the listing, if it is there."""
    return next((r.claim_number for r in remote if r.id == op_id and r.claim_number), None)


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
