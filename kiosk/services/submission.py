"""Submitting a claim: queue it for delivery, then try to file it while the customer waits."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kiosk.delivery.counter import counter_attempt
from kiosk.delivery.payload import PayloadInvalid, claim_payload, payload_validate
from kiosk.delivery.queue import claim_queue
from kiosk.delivery.results import Result
from kiosk.delivery.sending import claim_send
from kiosk.delivery.tasks import delivery_enqueue_next
from kiosk.followup.tasks import customer_copy_queue
from kiosk.models import Claim, DeliveryAttempt
from kiosk.orderprotection import OrderProtectionClient
from kiosk.risk.tasks import risk_assess_queue
from kiosk.services.attachments import attachment_public_url
from kiosk.services.completeness import claim_incomplete_steps

logger = logging.getLogger(__name__)

# The worker's first look comes after the associate's own attempt has had its chance.
COUNTER_GRACE = timedelta(seconds=2)


@dataclass(frozen=True)
class Submission:
    claim: Claim
    result: Result


def claim_build_payload(*, claim: Claim, media_base_url: str) -> dict:
    """The body that will be sent for this claim, with absolute URLs for its files."""
    return claim_payload(
        claim=claim,
        file_url=lambda attachment: attachment_public_url(
            attachment=attachment, media_base_url=media_base_url
        ),
    )


def claim_submit(
    *,
    claim: Claim,
    media_base_url: str,
    deadline: float | None = None,
    client: OrderProtectionClient | None = None,
) -> Submission:
    """Queue a draft (or rejected) claim for delivery, then try to file it at once.

    The payload is validated against the request schema first. Queueing is a
    compare-and-set that also enqueues the delivery task, so a double tap or a
    reloaded page queues the claim once. The attempt at the counter is bounded
    by `deadline` (DELIVERY_COUNTER_DEADLINE); if it does not file the claim,
    the worker carries on with the same idempotency key. The counter tries only
    with a free slot (DELIVERY_COUNTER_CONCURRENCY per process) while the API is
    not known to be failing (kiosk.delivery.counter); otherwise the claim is
    handed to the worker at once and the result is QUEUED. Unless the API
    rejected it for correction, the customer's copy is then queued (once). A claim
    with a step still to complete is not submitted (Result.INCOMPLETE).
    """
    if not claim.is_editable:
        return Submission(claim, Result.NOT_EDITABLE)
    deadline = settings.DELIVERY_COUNTER_DEADLINE if deadline is None else deadline
    with counter_attempt() as counter:
        with transaction.atomic():
            # The body is built under the claim's lock from its rows as they are now, not as
            # the caller loaded them: another tap may have replaced the signature meanwhile.
            # A step save or a photo removal that would change them waits, then finds it sent.
            Claim.objects.select_for_update().filter(pk=claim.pk).exists()
            claim.refresh_from_db()
            if not claim.is_editable:
                return Submission(claim, Result.NOT_EDITABLE)
            if claim_incomplete_steps(claim=claim):
                return Submission(claim, Result.INCOMPLETE)
            payload = _valid_payload_or_none(claim, media_base_url)
            if payload is None:
                return Submission(claim, Result.INCOMPLETE)
            # Without a slot at the counter the worker may take the claim at once.
            first_run_after = (
                timezone.now() + timedelta(seconds=deadline) + COUNTER_GRACE
                if counter.inline
                else None
            )
            queued = claim_queue(
                claim=claim,
                payload=payload,
                claimable=Claim.objects.editable(),
                first_run_after=first_run_after,
                hold=counter.inline,
            )
            if queued:
                # Scored in the background: the associate waits for none of it.
                risk_assess_queue(claim.pk)
        if not queued:
            claim.refresh_from_db()
            return Submission(claim, Result.NOT_EDITABLE)
        if counter.inline:
            counter.result = claim_send(
                claim, sent_from=DeliveryAttempt.SentFrom.COUNTER, deadline=deadline, client=client
            )
            if counter.result is Result.QUEUED:
                delivery_enqueue_next(claim.pk)
        else:
            logger.info("Claim %s: no slot at the counter, handed to the worker", claim.reference)
    result = _result_of(claim)
    if result != Result.REJECTED:
        customer_copy_queue(claim=claim)
    return Submission(claim, result)


def claim_retry_delivery(*, claim: Claim, media_base_url: str) -> bool:
    """Queue a claim that needs attention again, for a manager, once its cause is fixed.

    The payload is built afresh, so a corrected store setting is sent (under a
    new idempotency key when the body changed). A claim that may already be
    filed is looked up at OrderProtection before it is sent. Returns whether
    the claim was queued.
    """
    if claim.status != Claim.Status.NEEDS_ATTENTION:
        return False
    payload = _valid_payload_or_none(claim, media_base_url)
    if payload is None:
        return False
    return claim_queue(
        claim=claim,
        payload=payload,
        claimable=Claim.objects.filter(status=Claim.Status.NEEDS_ATTENTION),
    )


def _valid_payload_or_none(claim: Claim, media_base_url: str) -> dict | None:
    payload = claim_build_payload(claim=claim, media_base_url=media_base_url)
    try:
        payload_validate(payload=payload)
    except PayloadInvalid as invalid:
        claim.last_error = f"This claim is not complete: {invalid}"
        claim.last_error_field = invalid.field_paths[0]
        claim.save(update_fields=["last_error", "last_error_field", "updated_at"])
        return None
    return payload


def _result_of(claim: Claim) -> Result:
    """What the associate is told, from the claim as it is now (another sender may hold it)."""
    if claim.status == Claim.Status.FILED:
        return Result.FILED
    if claim.is_on_its_way:
        return Result.QUEUED
    if claim.attention_reason == Claim.AttentionReason.REJECTED:
        return Result.REJECTED
    return Result.NEEDS_ATTENTION
