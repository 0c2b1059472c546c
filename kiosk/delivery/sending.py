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
from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone

from kiosk.delivery.attempts import Outcome, attempt_close, attempt_close_after_bug, attempt_open
from kiosk.delivery.decisions import (
    Decision,
    decide_after_bug,
    decide_after_failure,
    decide_after_lookup_failure,
    decide_after_own_image_unfetched,
    decide_ambiguous,
    filed_fields,
)
from kiosk.delivery.fields import collecting_field
from kiosk.delivery.own_images import own_image_named
from kiosk.delivery.pacing import claim_put_back, in_flight_lock, under_in_flight_cap
from kiosk.delivery.reconciliation import LookupResult, claim_lookup
from kiosk.delivery.results import Result
from kiosk.models import Claim, DeliveryAttempt
from kiosk.orderprotection import (
    ApiUnauthorized,
    ApiUnavailable,
    ClaimRejected,
    FiledClaim,
    HttpExchange,
    OrderProtectionClient,
    OrderProtectionError,
)

logger = logging.getLogger(__name__)

# A task may wake a little before the time it was scheduled for.
DUE_TOLERANCE = timedelta(seconds=1)


def claim_deliver(
    *,
    claim_pk: int,
    client: OrderProtectionClient | None = None,
) -> Result:
    """The worker's task: one delivery attempt for a claim that is due, if it is."""
    now = timezone.now()
    due = Claim.objects.filter(
        pk=claim_pk,
        status__in=Claim.WAITING_STATUSES,
        next_attempt_at__lte=now + DUE_TOLERANCE,
    )
    with in_flight_lock():
        taken = under_in_flight_cap(due, now=now).update(
            status=Claim.Status.SENDING,
            sending_started_at=now,
            delivery_attempts=F("delivery_attempts") + 1,
            updated_at=now,
        )
    if not taken:
        # Due but over DELIVERY_MAX_IN_FLIGHT: a little later, no attempt counted.
        return Result.PUT_BACK if claim_put_back(due, now=now) else Result.NOT_DUE
    return claim_send(Claim.objects.select_related("store").get(pk=claim_pk), client=client)


def claim_send(
    claim: Claim,
    *,
    sent_from: str = DeliveryAttempt.SentFrom.WORKER,
    deadline: float | None = None,
    client: OrderProtectionClient | None = None,
) -> Result:
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
    attempt, answer = _send_refreshing_token(claim, client, sent_from, deadline)
    if isinstance(answer, FiledClaim):
        attempt_close(attempt, filed=answer, decision=claim_record_filed(claim=claim, filed=answer))
        return Result.FILED
    return _record_failure(claim, attempt, answer)


def _send_refreshing_token(
    claim: Claim, client: OrderProtectionClient, sent_from: str, deadline: float | None
) -> tuple[DeliveryAttempt, FiledClaim | OrderProtectionError]:
    """POST the claim's body; on a 401 that a new OAuth token may cure, once more at once."""
    token_refreshed = False
    while True:
        attempt = attempt_open(claim=claim, url=client.offline_claim_url, sent_from=sent_from)
        try:
            return attempt, client.create_offline_claim(
                claim.request_payload,
                idempotency_key=str(claim.idempotency_key),
                deadline=deadline,
            )
        except OrderProtectionError as error:
            if token_refreshed or not _token_refresh_helps(error, client):
                return attempt, error
            client.credentials.invalidate(store_id=_store_id(claim))
            attempt_close(attempt, error=error, decision="refresh the OAuth token, retry now")
            token_refreshed = True
        except Exception as error:
            # A bug, not an API answer: stop for a person, leave a trace, then fail loudly.
            decision = decide_after_bug(error)
            attempt_close_after_bug(attempt, error=error, decision=decision.text)
            _claim_release(claim, decision)
            raise


def _record_failure(claim: Claim, attempt: DeliveryAttempt, error: OrderProtectionError) -> Result:
    """Decide what follows a send that did not file the claim, and record it."""
    extra_fields = {}
    if (
        isinstance(error, ApiUnavailable)
        and error.outcome_unknown
        and not claim.unknown_outcome_since
    ):
        claim.unknown_outcome_since = attempt.started_at
        extra_fields["unknown_outcome_since"] = attempt.started_at
    if _own_image_unfetched(claim, error):
        decision = decide_after_own_image_unfetched(
            claim, error, failing_since=_image_fetches_failing_since(claim, attempt)
        )
    else:
        decision = decide_after_failure(claim, error, associate_can_fix=_associate_can_fix(error))
    decision = replace(decision, fields=decision.fields | extra_fields)
    attempt_close(attempt, error=error, decision=decision.text)
    return _claim_release(claim, decision)


def claim_record_filed(*, claim: Claim, filed: FiledClaim) -> str:
    """Record a 201 before anything else, whoever holds the claim now; return the decision.

    A claim already filed under another number was filed twice at
    OrderProtection: the second number is kept on the claim and flagged.
    """
    fields = filed_fields(
        claim_number=filed.claim_number,
        status_code=filed.exchange.status_code,
        body_text=filed.exchange.body_text,
    )
    if Claim.objects.filter(pk=claim.pk).exclude(status=Claim.Status.FILED).update(**fields):
        for name, value in fields.items():
            setattr(claim, name, value)
        logger.info("Claim %s: filed as %s", claim.reference, filed.claim_number)
        return f"filed as {filed.claim_number}"
    with transaction.atomic():
        current = Claim.objects.select_for_update().get(pk=claim.pk)
        if current.claim_number == filed.claim_number:
            return f"filed as {filed.claim_number} (already recorded)"
        current.possible_duplicates = [*current.possible_duplicates, filed.claim_number]
        current.save(update_fields=["possible_duplicates", "updated_at"])
    claim.refresh_from_db()
    logger.error(
        "Claim %s was filed twice at OrderProtection: %s and %s",
        claim.reference,
        claim.claim_number,
        filed.claim_number,
    )
    return (
        f"filed again as {filed.claim_number}, already filed as {claim.claim_number}: "
        "possible duplicate, flagged for managers"
    )


def _look_up_first(claim: Claim, client: OrderProtectionClient, sent_from: str) -> Result | None:
    """Search OrderProtection for a claim that may be filed; None means: send it now."""
    attempt = attempt_open(
        claim=claim,
        url=client.claims_url,
        sent_from=sent_from,
        kind=DeliveryAttempt.Kind.LOOKUP,
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
        attempt_close(attempt, error=error, decision=decision.text, outcome=Outcome.LOOKUP_FAILED)
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
            Claim.objects.filter(pk=claim.pk).update(orderprotection_id=found.id)
        text = claim_record_filed(
            claim=claim,
            filed=FiledClaim(claim_number=found.claim_number, payload={}, exchange=exchange),
        )
        attempt_close(
            attempt,
            exchange=exchange,
            outcome=Outcome.FOUND,
            decision=f"found at OrderProtection after an unknown outcome; {text}",
        )
        return Result.FILED
    if lookup.result == LookupResult.AMBIGUOUS:
        decision = decide_ambiguous([c.claim_number for c in lookup.candidates])
        attempt_close(attempt, exchange=exchange, outcome=Outcome.AMBIGUOUS, decision=decision.text)
        return _claim_release(claim, decision)
    attempt_close(
        attempt,
        exchange=exchange,
        outcome=Outcome.NOT_FOUND,
        decision=f"not found at OrderProtection ({lookup.pages} page(s)); send it again",
    )
    return None


def _claim_release(claim: Claim, decision: Decision) -> Result:
    """Record the decision, if this sender still holds the claim; the caller schedules a retry
    (kiosk.delivery.tasks.delivery_enqueue_next)."""
    fields = decision.fields | {"sending_started_at": None, "updated_at": timezone.now()}
    held = Claim.objects.filter(
        pk=claim.pk, status=Claim.Status.SENDING, sending_started_at=claim.sending_started_at
    ).update(**fields)
    for name, value in fields.items():
        setattr(claim, name, value)
    if not held:
        logger.warning(
            "Claim %s was taken over by another sender; result kept in the audit only",
            claim.reference,
        )
        claim.refresh_from_db()
        return Result.NOT_DUE
    logger.warning("Claim %s: %s", claim.reference, decision.text)
    return decision.result


def _associate_can_fix(error: OrderProtectionError) -> bool:
    """Only a rejection naming a field the associate filled in goes back to them."""
    return (
        isinstance(error, ClaimRejected)
        and error.exchange.status_code in (400, 422)
        and collecting_field(error.field_path) is not None
    )


def _own_image_unfetched(claim: Claim, error: OrderProtectionError) -> bool:
    """A rejection naming an image URL of ours: OrderProtection could not fetch our photo."""
    return (
        isinstance(error, ClaimRejected)
        and error.exchange.status_code in (400, 422)
        and own_image_named(claim=claim, field_path=error.field_path) is not None
    )


def _image_fetches_failing_since(claim: Claim, attempt: DeliveryAttempt):
    """When this round's first refusal came: any other refusal ends a round, so those of
    the round so far were all our photos not fetched."""
    earlier = claim.attempts.filter(
        kind=DeliveryAttempt.Kind.SEND,
        outcome=DeliveryAttempt.Outcome.REJECTED,
        started_at__gte=claim.queued_at or claim.created_at,
    ).aggregate(first=Min("started_at"))["first"]
    return min(earlier, attempt.started_at) if earlier else attempt.started_at


def _token_refresh_helps(error: OrderProtectionError, client: OrderProtectionClient) -> bool:
    return (
        isinstance(error, ApiUnauthorized)
        and error.exchange.status_code == 401
        and client.credentials.refreshable
    )


def _store_id(claim: Claim) -> str:
    return str((claim.request_payload or {}).get("storeId", ""))
