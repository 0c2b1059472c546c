"""Recovering what a stopped sender or a lost task left behind."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from kiosk.delivery.tasks import delivery_enqueue
from kiosk.models import Claim

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recovery:
    requeued: list[str]  # references of claims a stopped sender had left "sending"
    reenqueued: list[str]  # references of waiting claims whose task was overdue


def deliveries_recover(*, stuck_after: float | None = None) -> Recovery:
    """Take back claims left "sending" by a sender that stopped, and re-enqueue overdue ones.

    A claim is stuck when it has been sending for longer than `stuck_after`
    seconds (DELIVERY_STUCK_AFTER), which is longer than any attempt can take.
    Its request may have been filed, so it becomes "outcome unknown" and is
    looked up at OrderProtection before it is sent again (with the same key).
    A waiting claim overdue by as long has lost its task (a queue that was
    down, a crash between commit and enqueue); enqueueing it again is harmless.
    """
    stuck_after = settings.DELIVERY_STUCK_AFTER if stuck_after is None else stuck_after
    now = timezone.now()
    cutoff = now - timedelta(seconds=stuck_after)
    looks_up = settings.DELIVERY_RECONCILE
    requeued = []
    for claim in Claim.objects.filter(
        status=Claim.Status.SENDING, sending_started_at__lt=cutoff
    ).only("pk", "reference", "sending_started_at"):
        with transaction.atomic():
            taken = Claim.objects.filter(
                pk=claim.pk,
                status=Claim.Status.SENDING,
                sending_started_at=claim.sending_started_at,
            ).update(
                status=Claim.Status.OUTCOME_UNKNOWN if looks_up else Claim.Status.QUEUED,
                unknown_outcome_since=Coalesce("unknown_outcome_since", "sending_started_at"),
                next_attempt_at=now,
                sending_started_at=None,
                updated_at=now,
            )
            if not taken:
                continue
            claim.attempts.filter(outcome="").update(
                outcome="interrupted",
                decision="sender stopped with no answer recorded; "
                + ("look it up before sending again" if looks_up else "requeued, same key"),
            )
            delivery_enqueue(claim.pk)
        requeued.append(claim.reference)
        logger.warning("Claim %s was stuck sending; taken back", claim.reference)
    overdue = list(
        Claim.objects.filter(
            status__in=Claim.WAITING_STATUSES,
            next_attempt_at__lt=cutoff,
        ).values_list("pk", "reference")
    )
    for pk, reference in overdue:
        delivery_enqueue(pk)
        logger.warning("Claim %s was overdue in the queue; enqueued again", reference)
    return Recovery(requeued=requeued, reenqueued=[reference for _, reference in overdue])
