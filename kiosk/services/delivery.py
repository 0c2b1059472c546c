"""Delivering queued claims to OrderProtection: exactly once, as far as the API allows.

A queued claim is sent by one sender at a time: whoever moves it from queued
to sending with a compare-and-set holds it, and only that sender may record
the result. Every attempt carries the claim's idempotency key and leaves an
audit row with the decision taken. Transient failures are retried with
exponential backoff and full jitter; permanent ones stop for a person.
"""

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from kiosk.models import Claim, SubmissionAttempt
from kiosk.orderprotection import (
    ApiUnauthorized,
    ApiUnavailable,
    ClaimRejected,
    FiledClaim,
    OrderProtectionClient,
    OrderProtectionError,
)
from kiosk.services.audit import response_json
from kiosk.tasks import deliver_claim

logger = logging.getLogger(__name__)

# A task may wake a little before the time it was scheduled for.
DUE_TOLERANCE = timedelta(seconds=1)


class Delivery(StrEnum):
    FILED = "filed"
    RETRY = "retry"
    NEEDS_ATTENTION = "needs_attention"
    NOT_DUE = "not_due"  # not queued, not due yet, or another sender holds it


def delivery_enqueue(claim_pk: int, *, run_after: datetime | None = None) -> None:
    """Enqueue the delivery task: in the open transaction when the backend can, else after it."""
    task = deliver_claim.using(run_after=run_after) if run_after else deliver_claim
    if settings.TASKS_ENQUEUE_ON_COMMIT:
        # If the queue is down, the claim stays queued and `recover_deliveries` re-enqueues it.
        transaction.on_commit(lambda: task.enqueue(claim_pk), robust=True)
    else:
        task.enqueue(claim_pk)


def claim_queue(
    *,
    claim: Claim,
    payload: dict,
    claimable: QuerySet,
    first_run_after: datetime | None = None,
    hold: bool = False,
) -> bool:
    """Queue the claim with this payload, starting a new delivery round, and enqueue its task.

    Only a claim in `claimable` is queued (a compare-and-set, so two taps
    queue it once). With `hold`, the caller also becomes its sender at once
    (the claim goes straight to sending; see `claim_send`). Returns whether
    it was queued.
    """
    now = timezone.now()
    fields = {
        "status": Claim.Status.QUEUED,
        "attention_reason": "",
        "request_payload": payload,
        "submitted_at": now,
        "queued_at": now,
        "next_attempt_at": now,
        "delivery_attempts": 0,
        "sending_started_at": None,
        "last_error": "",
        "last_error_field": "",
        "updated_at": now,
    }
    if hold:
        fields |= {
            "status": Claim.Status.SUBMITTING,
            "sending_started_at": now,
            "delivery_attempts": 1,
        }
    with transaction.atomic():
        queued = claimable.filter(pk=claim.pk).update(**fields)
        if queued:
            delivery_enqueue(claim.pk, run_after=first_run_after)
    if queued:
        for name, value in fields.items():
            setattr(claim, name, value)
    return bool(queued)


def claim_deliver(
    *,
    claim_pk: int,
    client: OrderProtectionClient | None = None,
) -> Delivery:
    """The worker's task: one delivery attempt for a queued claim that is due, if it is."""
    now = timezone.now()
    taken = Claim.objects.filter(
        pk=claim_pk, status=Claim.Status.QUEUED, next_attempt_at__lte=now + DUE_TOLERANCE
    ).update(
        status=Claim.Status.SUBMITTING,
        sending_started_at=now,
        delivery_attempts=F("delivery_attempts") + 1,
        updated_at=now,
    )
    if not taken:
        return Delivery.NOT_DUE
    return claim_send(Claim.objects.get(pk=claim_pk), client=client)


def claim_send(
    claim: Claim,
    *,
    sent_from: str = SubmissionAttempt.SentFrom.WORKER,
    deadline: float | None = None,
    client: OrderProtectionClient | None = None,
) -> Delivery:
    """Send a claim this sender holds (sending, with its lease), and record what follows.

    A 401 with OAuth credentials refreshes the token and is retried once at
    once. `deadline` shortens the HTTP timeouts (the associate is waiting).
    The claim instance is updated with the result.
    """
    client = client or OrderProtectionClient.from_settings()
    token_refreshed = False
    while True:
        attempt = _attempt_open(claim, client, sent_from)
        try:
            filed = client.create_offline_claim(
                claim.request_payload,
                idempotency_key=str(claim.idempotency_key),
                deadline=deadline,
            )
        except OrderProtectionError as error:
            if _token_refresh_helps(error, client) and not token_refreshed:
                client.credentials.invalidate(store_id=_store_id(claim))
                _attempt_close(attempt, error=error, decision="refresh the OAuth token, retry now")
                token_refreshed = True
                continue
            decision = _decide_after_failure(claim, error)
            _attempt_close(attempt, error=error, decision=decision.text)
            return _claim_release(claim, decision)
        except Exception as error:
            # A bug, not an API answer: stop for a person, leave a trace, then fail loudly.
            decision = _decide_after_bug(error)
            attempt.outcome, attempt.decision = "error", decision.text
            attempt.error_class, attempt.error_message = type(error).__name__, str(error)
            attempt.save(update_fields=["outcome", "decision", "error_class", "error_message"])
            _claim_release(claim, decision)
            raise
        decision = _decide_after_filing(filed)
        _attempt_close(attempt, filed=filed, decision=decision.text)
        return _claim_release(claim, decision)


def retry_delay(*, attempts: int, retry_after: float | None = None) -> float:
    """Seconds before the next attempt: full jitter, but never sooner than Retry-After."""
    ceiling = min(
        settings.DELIVERY_BACKOFF_CAP, settings.DELIVERY_BACKOFF_BASE * 2 ** (attempts - 1)
    )
    delay = random.uniform(0, ceiling)
    return max(delay, retry_after) if retry_after is not None else delay


@dataclass(frozen=True)
class _Decision:
    delivery: Delivery
    text: str
    fields: dict = field(default_factory=dict)
    retry_at: datetime | None = None


def _decide_after_filing(filed: FiledClaim) -> _Decision:
    return _Decision(
        Delivery.FILED,
        f"filed as {filed.source_order_id}",
        {
            "status": Claim.Status.FILED,
            "attention_reason": "",
            "source_order_id": filed.source_order_id,
            "filed_at": timezone.now(),
            "response_status": filed.exchange.status_code,
            "response_body": response_json(filed.exchange.body_text),
            "last_error": "",
            "last_error_field": "",
            "next_attempt_at": None,
        },
    )


def _decide_after_bug(error: Exception) -> _Decision:
    return _Decision(
        Delivery.NEEDS_ATTENTION,
        "give up: internal error",
        {
            "status": Claim.Status.NEEDS_ATTENTION,
            "attention_reason": Claim.AttentionReason.GAVE_UP,
            "last_error": f"Internal error while filing ({type(error).__name__}).",
        },
    )


def _decide_after_failure(claim: Claim, error: OrderProtectionError) -> _Decision:
    status = error.exchange.status_code
    common = {
        "response_status": status,
        "response_body": response_json(error.exchange.body_text),
        "last_error": error.message,
        "last_error_field": "",
    }
    if isinstance(error, ClaimRejected):
        return _Decision(
            Delivery.NEEDS_ATTENTION,
            f"give up: {status} rejected",
            common
            | {
                "status": Claim.Status.NEEDS_ATTENTION,
                "attention_reason": Claim.AttentionReason.REJECTED,
                "last_error_field": error.field_path,
            },
        )
    if isinstance(error, ApiUnauthorized):
        return _Decision(
            Delivery.NEEDS_ATTENTION,
            f"give up: {status or 'token request'} credentials refused",
            common
            | {
                "status": Claim.Status.NEEDS_ATTENTION,
                "attention_reason": Claim.AttentionReason.CREDENTIALS,
            },
        )
    assert isinstance(error, ApiUnavailable)
    now = timezone.now()
    delay = retry_delay(attempts=claim.delivery_attempts, retry_after=error.retry_after)
    retry_at = now + timedelta(seconds=delay)
    why = status or type(error.__cause__ or error).__name__
    queued_at = claim.queued_at or claim.created_at
    too_old = (retry_at - queued_at).total_seconds() > settings.DELIVERY_MAX_AGE
    if claim.delivery_attempts >= settings.DELIVERY_MAX_ATTEMPTS or too_old:
        limit = "past the maximum age" if too_old else f"after {claim.delivery_attempts} attempts"
        return _Decision(
            Delivery.NEEDS_ATTENTION,
            f"give up {limit}: {why}",
            common
            | {
                "status": Claim.Status.NEEDS_ATTENTION,
                "attention_reason": Claim.AttentionReason.GAVE_UP,
            },
        )
    text = f"retry in {_seconds(delay)}"
    if error.retry_after is not None:
        text += " (Retry-After)"
    if error.outcome_unknown:
        text += ", same key: outcome unknown"
    return _Decision(
        Delivery.RETRY,
        text,
        common | {"status": Claim.Status.QUEUED, "next_attempt_at": retry_at},
        retry_at=retry_at,
    )


def _claim_release(claim: Claim, decision: _Decision) -> Delivery:
    """Record the decision, if this sender still holds the claim, and schedule any retry."""
    fields = decision.fields | {"sending_started_at": None, "updated_at": timezone.now()}
    with transaction.atomic():
        held = Claim.objects.filter(
            pk=claim.pk, status=Claim.Status.SUBMITTING, sending_started_at=claim.sending_started_at
        ).update(**fields)
        if held and decision.retry_at:
            delivery_enqueue(claim.pk, run_after=decision.retry_at)
    for name, value in fields.items():
        setattr(claim, name, value)
    if not held:
        logger.warning(
            "Claim %s was taken over by another sender; result kept in the audit only",
            claim.reference,
        )
        return Delivery.NOT_DUE
    log = logger.info if decision.delivery == Delivery.FILED else logger.warning
    log("Claim %s: %s", claim.reference, decision.text)
    return decision.delivery


def _attempt_open(claim: Claim, client: OrderProtectionClient, sent_from: str) -> SubmissionAttempt:
    last = claim.attempts.order_by("-number").values_list("number", flat=True).first() or 0
    return SubmissionAttempt.objects.create(
        claim=claim,
        number=last + 1,
        url=client.offline_claim_url,
        request_body=claim.request_payload,
        sent_from=sent_from,
    )


def _attempt_close(
    attempt: SubmissionAttempt,
    *,
    decision: str,
    filed: FiledClaim | None = None,
    error: OrderProtectionError | None = None,
) -> None:
    exchange = filed.exchange if filed else error.exchange
    attempt.duration_ms = exchange.duration_ms
    attempt.status_code = exchange.status_code
    attempt.response_body = exchange.body_text[: settings.AUDIT_BODY_MAX_CHARS]
    attempt.decision = decision
    if filed:
        attempt.outcome = "filed"
    else:
        attempt.outcome = _error_outcome(error)
        attempt.error_class = type(error).__name__
        attempt.error_message = error.message
    attempt.save(
        update_fields=[
            "duration_ms",
            "status_code",
            "response_body",
            "outcome",
            "error_class",
            "error_message",
            "decision",
        ]
    )


def _error_outcome(error: OrderProtectionError) -> str:
    if isinstance(error, ClaimRejected):
        return "rejected"
    if isinstance(error, ApiUnauthorized):
        return "unauthorized"
    return "unknown" if error.outcome_unknown else "unavailable"


def _token_refresh_helps(error: OrderProtectionError, client: OrderProtectionClient) -> bool:
    return (
        isinstance(error, ApiUnauthorized)
        and error.exchange.status_code == 401
        and client.credentials.refreshable
    )


def _store_id(claim: Claim) -> str:
    return str((claim.request_payload or {}).get("storeId", ""))


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"


@dataclass(frozen=True)
class Recovery:
    requeued: list[str]  # references of claims a stopped sender had left "sending"
    reenqueued: list[str]  # references of queued claims whose task was overdue


def deliveries_recover(*, stuck_after: float | None = None) -> Recovery:
    """Re-queue claims left "sending" by a sender that stopped, and re-enqueue overdue ones.

    A claim is stuck when it has been sending for longer than `stuck_after`
    seconds (DELIVERY_STUCK_AFTER), which is longer than any attempt can take.
    It goes back to the queue with the same idempotency key. A queued claim
    overdue by as long has lost its task (a queue that was down, a crash
    between commit and enqueue); enqueueing it again is harmless.
    """
    stuck_after = settings.DELIVERY_STUCK_AFTER if stuck_after is None else stuck_after
    now = timezone.now()
    cutoff = now - timedelta(seconds=stuck_after)
    requeued = []
    for claim in Claim.objects.filter(
        status=Claim.Status.SUBMITTING, sending_started_at__lt=cutoff
    ).only("pk", "reference", "sending_started_at"):
        with transaction.atomic():
            taken = Claim.objects.filter(
                pk=claim.pk,
                status=Claim.Status.SUBMITTING,
                sending_started_at=claim.sending_started_at,
            ).update(
                status=Claim.Status.QUEUED,
                next_attempt_at=now,
                sending_started_at=None,
                updated_at=now,
            )
            if not taken:
                continue
            claim.attempts.filter(outcome="").update(
                outcome="interrupted",
                decision="sender stopped with no answer recorded; requeued, same key",
            )
            delivery_enqueue(claim.pk)
        requeued.append(claim.reference)
        logger.warning("Claim %s was stuck sending; requeued", claim.reference)
    overdue = list(
        Claim.objects.filter(status=Claim.Status.QUEUED, next_attempt_at__lt=cutoff).values_list(
            "pk", "reference"
        )
    )
    for pk, reference in overdue:
        delivery_enqueue(pk)
        logger.warning("Claim %s was overdue in the queue; enqueued again", reference)
    return Recovery(requeued=requeued, reenqueued=[reference for _, reference in overdue])
