"""A filed claim's state at OrderProtection (NEW, OPEN, APPROVED, DENIED, …) and its timeline."""

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kiosk.models import Claim, ClaimStateChange, WebhookEvent
from kiosk.orderprotection import (
    ApiMisconfigured,
    ApiUnavailable,
    OrderProtectionClient,
    OrderProtectionError,
    RemoteClaim,
)

logger = logging.getLogger(__name__)

# What a claim that was just filed is, until OrderProtection says otherwise.
NEW = "NEW"
STATE_LABELS = {
    "NEW": "Filed, not reviewed yet",
    "OPEN": "Open",
    "COMMUNICATING": "In discussion",
    "WAITING_FOR_CUSTOMER": "Waiting for the customer",
    "WAITING_FOR_BRAND": "Waiting for the store",
    "WAITING_FOR_OP": "Waiting for OrderProtection",
    "APPROVED": "Approved",
    "DENIED": "Denied",
    "RESOLVED": "Resolved",
    "RESOLVED_BY_BRAND": "Resolved by the store",
    "CLOSED": "Closed",
    "ARCHIVED": "Archived",
    "DISMISSED": "Dismissed",
    "TEMPORARILY_DISMISSED": "Dismissed for now",
}


def claim_state_label(state: str) -> str:
    return STATE_LABELS.get(state, state.replace("_", " ").capitalize())


def claim_state_is_final(state: str) -> bool:
    return state in settings.CLAIM_FINAL_STATES


def claim_state_record(
    *,
    claim: Claim,
    state: str,
    source: str,
    resolution: str = "",
    reason: str = "",
    event: WebhookEvent | None = None,
) -> bool:
    """Record a state OrderProtection gave a filed claim; return whether anything changed.

    A late "NEW" (a repeated or slow claim-created event) never replaces a
    later state. Every change is added to the claim's timeline.
    """
    state = state.strip().upper()[:32]
    with transaction.atomic():
        current = Claim.objects.select_for_update().get(pk=claim.pk)
        unchanged = (
            current.claim_state == state
            and current.op_resolution == (resolution or current.op_resolution)
            and current.op_denial_reason == (reason or current.op_denial_reason)
        )
        if unchanged or (state == NEW and current.claim_state):
            return False
        now = timezone.now()
        current.claim_state = state
        current.claim_state_at = now
        current.op_resolution = resolution[:64] or current.op_resolution
        current.op_denial_reason = reason[:64] or current.op_denial_reason
        current.state_check_interval = 0
        current.state_next_check_at = (
            None
            if claim_state_is_final(state)
            else now + timedelta(seconds=settings.CLAIM_STATE_POLL_FIRST)
        )
        current.save(
            update_fields=[
                "claim_state",
                "claim_state_at",
                "op_resolution",
                "op_denial_reason",
                "state_check_interval",
                "state_next_check_at",
                "updated_at",
            ]
        )
        ClaimStateChange.objects.create(
            claim=current,
            state=state,
            resolution=resolution[:64],
            reason=reason[:64],
            source=source,
            event=event,
        )
    logger.info("Claim %s is now %s at OrderProtection (%s)", claim.reference, state, source)
    return True


@dataclass
class PollReport:
    checked: int = 0
    changed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    stopped_early: str = ""


def claim_states_poll(
    *,
    limit: int | None = None,
    pause: float | None = None,
    client: OrderProtectionClient | None = None,
) -> PollReport:
    """Ask OrderProtection for the state of filed claims that are due a check.

    GET /v1/orders/{sourceOrderId}/claims, one claim at a time, at most
    `limit` (CLAIM_STATE_POLL_BATCH) per run with `pause` seconds between
    calls (CLAIM_STATE_POLL_PAUSE). A claim whose state did not change is
    checked again later and later (doubling, up to CLAIM_STATE_POLL_MAX_INTERVAL);
    a final state, or a claim older than CLAIM_STATE_POLL_MAX_AGE, is not
    checked again. A rate limit ends the run.
    """
    client = client or OrderProtectionClient.from_settings()
    limit = settings.CLAIM_STATE_POLL_BATCH if limit is None else limit
    pause = settings.CLAIM_STATE_POLL_PAUSE if pause is None else pause
    now = timezone.now()
    Claim.objects.filter(
        status=Claim.Status.FILED,
        state_next_check_at__isnull=False,
        filed_at__lt=now - timedelta(seconds=settings.CLAIM_STATE_POLL_MAX_AGE),
    ).update(state_next_check_at=None)
    due = list(
        Claim.objects.filter(status=Claim.Status.FILED, state_next_check_at__lte=now)
        .exclude(source_order_id="")
        .select_related("store")
        .order_by("state_next_check_at")[:limit]
    )
    report = PollReport()
    for index, claim in enumerate(due):
        if index and pause:
            time.sleep(pause)
        report.checked += 1
        try:
            remote = _remote_claim(client, claim)
        except OrderProtectionError as error:
            report.failed.append(claim.reference)
            _check_later(claim, retry_after=getattr(error, "retry_after", None))
            logger.warning("Could not check claim %s: %s", claim.reference, error.message)
            if isinstance(error, ApiMisconfigured) or (
                isinstance(error, ApiUnavailable) and error.exchange.status_code == 429
            ):
                report.stopped_early = error.message
                break
            continue
        if remote is not None and remote.id and remote.id != claim.op_claim_id:
            Claim.objects.filter(pk=claim.pk).update(op_claim_id=remote.id)
        if (
            remote is not None
            and remote.state
            and claim_state_record(
                claim=claim,
                state=remote.state,
                resolution=remote.resolution or "",
                reason=remote.denial_reason or "",
                source=ClaimStateChange.Source.POLL,
            )
        ):
            report.changed.append(claim.reference)
        else:
            _check_later(claim)
    return report


def _remote_claim(client: OrderProtectionClient, claim: Claim) -> RemoteClaim | None:
    remote_claims = client.order_claims(
        store_id=claim.store.source_store_id, source_order_id=claim.source_order_id
    )
    matching = [r for r in remote_claims if r.source_order_id == claim.source_order_id]
    if len(matching) == 1:
        return matching[0]
    return remote_claims[0] if len(remote_claims) == 1 else None


def _check_later(claim: Claim, *, retry_after: float | None = None) -> None:
    interval = min(
        settings.CLAIM_STATE_POLL_MAX_INTERVAL,
        max(settings.CLAIM_STATE_POLL_FIRST, claim.state_check_interval * 2, retry_after or 0),
    )
    Claim.objects.filter(pk=claim.pk).update(
        state_check_interval=int(interval),
        state_next_check_at=timezone.now() + timedelta(seconds=interval),
    )
