"""Delivering queued claims to OrderProtection: exactly once, as far as the API allows.

A queued claim is sent by one sender at a time: whoever moves it to sending
with a compare-and-set holds it, and only that sender may record a failure.
A claim whose last request may have been filed ("outcome unknown") is looked
up at OrderProtection before it is sent again. A 201 is recorded first, even
by a sender that lost the claim meanwhile, and a second claim number is kept
and flagged, never thrown away. Every call leaves an audit row.
"""

import json
import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from kiosk.models import Claim, SubmissionAttempt
from kiosk.orderprotection import (
    ApiUnauthorized,
    ClaimRejected,
    FiledClaim,
    HttpExchange,
    OrderProtectionClient,
    OrderProtectionError,
)
from kiosk.services.delivery_decisions import (
    Decision,
    Delivery,
    decide_after_bug,
    decide_after_failure,
    decide_after_lookup_failure,
    decide_ambiguous,
    filed_fields,
)
from kiosk.services.reconciliation import LookupResult, claim_lookup
from kiosk.steps import step_for_payload_field
from kiosk.tasks import deliver_claim

logger = logging.getLogger(__name__)

# A task may wake a little before the time it was scheduled for.
DUE_TOLERANCE = timedelta(seconds=1)


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
    queue it once). A body that differs from the one sent before gets a new
    idempotency key. A claim that may already be filed waits in "outcome
    unknown", to be looked up before it is sent. With `hold`, the caller also
    becomes its sender at once (the claim goes straight to sending; see
    `claim_send`). Returns whether it was queued.
    """
    now = timezone.now()
    may_be_filed = claim.unknown_outcome_since is not None and settings.DELIVERY_RECONCILE
    fields = {
        "status": Claim.Status.OUTCOME_UNKNOWN if may_be_filed else Claim.Status.QUEUED,
        "attention_reason": "",
        "request_payload": payload,
        # When the associate first submitted it; a retry starts a round, not a submission.
        "submitted_at": claim.submitted_at or now,
        "queued_at": now,
        "next_attempt_at": now,
        "delivery_attempts": 0,
        "sending_started_at": None,
        "last_error": "",
        "last_error_field": "",
        "updated_at": now,
    }
    if claim.request_payload is not None and claim.request_payload != payload:
        fields["idempotency_key"] = uuid.uuid4()
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
    """The worker's task: one delivery attempt for a claim that is due, if it is."""
    now = timezone.now()
    taken = Claim.objects.filter(
        pk=claim_pk,
        status__in=(Claim.Status.QUEUED, Claim.Status.OUTCOME_UNKNOWN),
        next_attempt_at__lte=now + DUE_TOLERANCE,
    ).update(
        status=Claim.Status.SUBMITTING,
        sending_started_at=now,
        delivery_attempts=F("delivery_attempts") + 1,
        updated_at=now,
    )
    if not taken:
        return Delivery.NOT_DUE
    return claim_send(Claim.objects.select_related("store").get(pk=claim_pk), client=client)


def claim_send(
    claim: Claim,
    *,
    sent_from: str = SubmissionAttempt.SentFrom.WORKER,
    deadline: float | None = None,
    client: OrderProtectionClient | None = None,
) -> Delivery:
    """Send a claim this sender holds (sending, with its lease), and record what follows.

    After an unknown outcome the claim is first looked up at OrderProtection
    (DELIVERY_RECONCILE): found, it is filed with that number; not found, it is
    sent; if the lookup fails, nothing is sent and it is tried again later. A
    401 with OAuth credentials refreshes the token and is retried once at once.
    `deadline` bounds each call in wall-clock seconds (the associate is waiting).
    The claim instance is updated with the result.
    """
    client = client or OrderProtectionClient.from_settings()
    if claim.unknown_outcome_since and settings.DELIVERY_RECONCILE:
        looked_up = _look_up_first(claim, client, sent_from)
        if looked_up is not None:
            return looked_up
    token_refreshed = False
    while True:
        attempt = _attempt_open(claim, client.offline_claim_url, sent_from)
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
            if getattr(error, "outcome_unknown", False) and not claim.unknown_outcome_since:
                claim.unknown_outcome_since = attempt.started_at
                error_fields = {"unknown_outcome_since": attempt.started_at}
            else:
                error_fields = {}
            decision = decide_after_failure(
                claim, error, associate_can_fix=_associate_can_fix(error)
            )
            decision = Decision(
                decision.delivery, decision.text, decision.fields | error_fields, decision.retry_at
            )
            _attempt_close(attempt, error=error, decision=decision.text)
            return _claim_release(claim, decision)
        except Exception as error:
            # A bug, not an API answer: stop for a person, leave a trace, then fail loudly.
            decision = decide_after_bug(error)
            attempt.outcome, attempt.decision = "error", decision.text
            attempt.error_class, attempt.error_message = type(error).__name__, str(error)
            attempt.save(update_fields=["outcome", "decision", "error_class", "error_message"])
            _claim_release(claim, decision)
            raise
        text = claim_record_filed(claim=claim, filed=filed)
        _attempt_close(attempt, filed=filed, decision=text)
        return Delivery.FILED


def claim_record_filed(*, claim: Claim, filed: FiledClaim) -> str:
    """Record a 201 before anything else, whoever holds the claim now; return the decision.

    A claim already filed under another number was filed twice at
    OrderProtection: the second number is kept on the claim and flagged.
    """
    fields = filed_fields(
        source_order_id=filed.source_order_id,
        status_code=filed.exchange.status_code,
        body_text=filed.exchange.body_text,
    )
    if Claim.objects.filter(pk=claim.pk).exclude(status=Claim.Status.FILED).update(**fields):
        for name, value in fields.items():
            setattr(claim, name, value)
        logger.info("Claim %s: filed as %s", claim.reference, filed.source_order_id)
        return f"filed as {filed.source_order_id}"
    with transaction.atomic():
        current = Claim.objects.select_for_update().get(pk=claim.pk)
        if current.source_order_id == filed.source_order_id:
            return f"filed as {filed.source_order_id} (already recorded)"
        current.possible_duplicates = [*current.possible_duplicates, filed.source_order_id]
        current.save(update_fields=["possible_duplicates", "updated_at"])
    claim.refresh_from_db()
    logger.error(
        "Claim %s was filed twice at OrderProtection: %s and %s",
        claim.reference,
        claim.source_order_id,
        filed.source_order_id,
    )
    return (
        f"filed again as {filed.source_order_id}, already filed as {claim.source_order_id}: "
        "possible duplicate, flagged for managers"
    )


def _look_up_first(claim: Claim, client: OrderProtectionClient, sent_from: str) -> Delivery | None:
    """Search OrderProtection for a claim that may be filed; None means: send it now."""
    attempt = _attempt_open(
        claim,
        client.claims_url,
        sent_from,
        kind=SubmissionAttempt.Kind.LOOKUP,
        request_body={
            "storeId": _store_id(claim),
            "createdSince": claim.unknown_outcome_since.isoformat(),
        },
    )
    started = timezone.now()
    try:
        lookup = claim_lookup(claim=claim, client=client)
    except OrderProtectionError as error:
        decision = decide_after_lookup_failure(claim, error)
        _attempt_close(attempt, error=error, decision=decision.text, outcome="lookup_failed")
        return _claim_release(claim, decision)
    exchange = HttpExchange(
        url=client.claims_url,
        duration_ms=round((timezone.now() - started).total_seconds() * 1000),
        status_code=200,
        body_text=json.dumps(lookup.last_page_body),
    )
    if lookup.result == LookupResult.FOUND:
        found = lookup.found
        if found.id:
            Claim.objects.filter(pk=claim.pk).update(op_claim_id=found.id)
        text = claim_record_filed(
            claim=claim,
            filed=FiledClaim(source_order_id=found.source_order_id, payload={}, exchange=exchange),
        )
        _attempt_close(
            attempt,
            exchange=exchange,
            outcome="found",
            decision=f"found at OrderProtection after an unknown outcome; {text}",
        )
        return Delivery.FILED
    if lookup.result == LookupResult.AMBIGUOUS:
        decision = decide_ambiguous([c.source_order_id for c in lookup.candidates])
        _attempt_close(attempt, exchange=exchange, outcome="ambiguous", decision=decision.text)
        return _claim_release(claim, decision)
    _attempt_close(
        attempt,
        exchange=exchange,
        outcome="not_found",
        decision=f"not found at OrderProtection ({lookup.pages} page(s)); send it again",
    )
    return None


def _claim_release(claim: Claim, decision: Decision) -> Delivery:
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
        claim.refresh_from_db()
        return Delivery.NOT_DUE
    logger.warning("Claim %s: %s", claim.reference, decision.text)
    return decision.delivery


def _attempt_open(
    claim: Claim,
    url: str,
    sent_from: str,
    *,
    kind: str = SubmissionAttempt.Kind.SEND,
    request_body: dict | None = None,
) -> SubmissionAttempt:
    last = claim.attempts.order_by("-number").values_list("number", flat=True).first() or 0
    return SubmissionAttempt.objects.create(
        claim=claim,
        number=last + 1,
        url=url,
        kind=kind,
        request_body=claim.request_payload if request_body is None else request_body,
        sent_from=sent_from,
    )


def _attempt_close(
    attempt: SubmissionAttempt,
    *,
    decision: str,
    filed: FiledClaim | None = None,
    error: OrderProtectionError | None = None,
    exchange: HttpExchange | None = None,
    outcome: str = "",
) -> None:
    exchange = exchange or (filed.exchange if filed else error.exchange)
    attempt.duration_ms = exchange.duration_ms
    attempt.status_code = exchange.status_code
    attempt.response_body = exchange.body_text[: settings.AUDIT_BODY_MAX_CHARS]
    attempt.decision = decision
    attempt.outcome = outcome or ("filed" if filed else _error_outcome(error))
    if error is not None:
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
    if not error.permanent:
        return "unknown" if error.outcome_unknown else "unavailable"
    return "misconfigured"


def _associate_can_fix(error: OrderProtectionError) -> bool:
    """Only a rejection naming a field the associate filled in goes back to them."""
    return (
        isinstance(error, ClaimRejected)
        and error.exchange.status_code in (400, 422)
        and step_for_payload_field(error.field_path) is not None
    )


def _token_refresh_helps(error: OrderProtectionError, client: OrderProtectionClient) -> bool:
    return (
        isinstance(error, ApiUnauthorized)
        and error.exchange.status_code == 401
        and client.credentials.refreshable
    )


def _store_id(claim: Claim) -> str:
    return str((claim.request_payload or {}).get("storeId", ""))
