"""Queueing a claim for delivery: a compare-and-set that starts a round and enqueues its task."""

import uuid
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from kiosk.delivery.tasks import delivery_enqueue
from kiosk.models import Claim


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
    `kiosk.delivery.sending.claim_send`). Returns whether it was queued.
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
            "status": Claim.Status.SENDING,
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
