"""Asking OrderProtection for the state of filed claims, for those its webhooks did not bring."""

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from kiosk.followup.claim_state import StateOutcome, claim_state_record
from kiosk.models import Claim, ClaimStateChange
from kiosk.orderprotection import (
    ApiMisconfigured,
    ApiUnavailable,
    OrderProtectionClient,
    OrderProtectionError,
    RemoteClaim,
)

logger = logging.getLogger(__name__)


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
    checked again. A rate limit, or refused credentials, end the run.
    """
    client = client or OrderProtectionClient.from_settings()
    limit = settings.CLAIM_STATE_POLL_BATCH if limit is None else limit
    pause = settings.CLAIM_STATE_POLL_PAUSE if pause is None else pause
    report = PollReport()
    for index, claim in enumerate(_claims_due(limit=limit)):
        if index and pause:
            time.sleep(pause)
        report.checked += 1
        try:
            changed = _claim_state_check(claim, client)
        except OrderProtectionError as error:
            report.failed.append(claim.reference)
            _check_later(claim, retry_after=getattr(error, "retry_after", None))
            logger.warning("Could not check claim %s: %s", claim.reference, error.message)
            if _ends_the_run(error):
                report.stopped_early = error.message
                break
            continue
        if changed:
            report.changed.append(claim.reference)
        else:
            _check_later(claim)
    return report


def _claims_due(*, limit: int) -> list[Claim]:
    """The filed claims due a check, oldest due first; those too old are no longer checked."""
    now = timezone.now()
    Claim.objects.filter(
        status=Claim.Status.FILED,
        state_next_check_at__isnull=False,
        filed_at__lt=now - timedelta(seconds=settings.CLAIM_STATE_POLL_MAX_AGE),
    ).update(state_next_check_at=None)
    return list(
        Claim.objects.filter(status=Claim.Status.FILED, state_next_check_at__lte=now)
        .exclude(claim_number="")
        .select_related("store")
        .order_by("state_next_check_at")[:limit]
    )


def _claim_state_check(claim: Claim, client: OrderProtectionClient) -> bool:
    """Look the claim up and record the state it has there; whether that changed the claim."""
    remote = _remote_claim(client, claim)
    if remote is None:
        return False
    if remote.id and remote.id != claim.orderprotection_id:
        Claim.objects.filter(pk=claim.pk).update(orderprotection_id=remote.id)
    if not remote.state:
        return False
    outcome = claim_state_record(
        claim=claim,
        state=remote.state,
        as_of=remote.updated_at,
        store_id=remote.store_id,
        resolution=remote.resolution or "",
        reason=remote.denial_reason or "",
        source=ClaimStateChange.Source.POLL,
    )
    return outcome is StateOutcome.APPLIED


def _ends_the_run(error: OrderProtectionError) -> bool:
    """Refused credentials fail for every claim alike, and a rate limit asks us to stop."""
    return isinstance(error, ApiMisconfigured) or (
        isinstance(error, ApiUnavailable) and error.exchange.status_code == 429
    )


def _remote_claim(client: OrderProtectionClient, claim: Claim) -> RemoteClaim | None:
    remote_claims = client.order_claims(
        store_id=claim.store.source_store_id, claim_number=claim.claim_number
    )
    matching = [r for r in remote_claims if r.claim_number == claim.claim_number]
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
