"""Recovering what a stopped sender or a lost task left behind."""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    Both are spread at random over the next DELIVERY_RECOVERY_SPREAD seconds.
    """
    stuck_after = settings.DELIVERY_STUCK_AFTER if stuck_after is None else stuck_after
    now = timezone.now()
    cutoff = now - timedelta(seconds=stuck_after)
    looks_up = settings.DELIVERY_RECONCILE
    requeued = []
    for claim in Claim.objects.filter(
        status=Claim.Status.SENDING, sending_started_at__lt=cutoff
    ).only("pk", "reference", "sending_started_at"):
        retry_at = spread_from(now)
        with transaction.atomic():
            taken = Claim.objects.filter(
                pk=claim.pk,
                status=Claim.Status.SENDING,
                sending_started_at=claim.sending_started_at,
            ).update(
                status=Claim.Status.OUTCOME_UNKNOWN if looks_up else Claim.Status.QUEUED,
                unknown_outcome_since=Coalesce("unknown_outcome_since", "sending_started_at"),
                next_attempt_at=retry_at,
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
            delivery_enqueue(claim.pk, run_after=retry_at)
        requeued.append(claim.reference)
        logger.warning("Claim %s was stuck sending; taken back", claim.reference)
    overdue = list(
        Claim.objects.filter(
            status__in=Claim.WAITING_STATUSES,
            next_attempt_at__lt=cutoff,
        ).values_list("pk", "reference", "next_attempt_at")
    )
    reenqueued = []
    for pk, reference, next_attempt_at in overdue:
        with transaction.atomic():
            retry_at = spread_from(now)
            moved = Claim.objects.filter(
                pk=pk, status__in=Claim.WAITING_STATUSES, next_attempt_at=next_attempt_at
            ).update(next_attempt_at=retry_at, updated_at=now)
            if not moved:
                continue  # taken or rescheduled meanwhile: its own task is alive
            delivery_enqueue(pk, run_after=retry_at)
        reenqueued.append(reference)
        logger.warning("Claim %s was overdue in the queue; enqueued again", reference)
    return Recovery(requeued=requeued, reenqueued=reenqueued)


def spread_from(now: datetime) -> datetime:
    """A time at random in the next DELIVERY_RECOVERY_SPREAD seconds: claims taken back
    together (after an outage, or a worker that died holding many) go out one by one."""
    return now + timedelta(seconds=random.uniform(0, settings.DELIVERY_RECOVERY_SPREAD))
