"""The risk assessment task, run by the worker of the configured backend (settings.TASKS)."""

import datetime
import logging
from collections.abc import Collection

from django.conf import settings
from django.db import close_old_connections, transaction
from django.tasks import task
from django.utils import timezone

from kiosk.models import Claim
from kiosk.risk.scoring import claim_risk_assess

logger = logging.getLogger(__name__)


@task
def claim_risk_assess_task(claim_pk: int, follow_matches: bool = True) -> int:
    """Assess a claim; then, once, the claims it matched (they learn of this one)."""
    close_old_connections()
    try:
        matched = claim_risk_assess(claim_pk=claim_pk)
        if follow_matches:
            risk_reassess_queue(matched)
        return len(matched)
    finally:
        close_old_connections()


def risk_reassess_queue(claim_pks: Collection[int]) -> list[int]:
    """Queue the assessment again of the claims a claim matched, that they learn of it.

    At most RISK_REASSESS_MATCHES_MAX of them, the most recently submitted first (the older
    keep their signals until `manage.py assess_risk` assesses them again). A claim whose
    re-assessment is queued and not yet started is not queued twice: it starts after this
    claim's signals were recorded, so it finds them (claim_risk_assess clears the mark,
    risk_queued_at, as it starts; a match after that queues it again). One UPDATE marks
    them all; the claims it marked are queued. Returns them.
    """
    if not claim_pks:
        return []
    newest = (
        Claim.objects.filter(pk__in=claim_pks, submitted_at__isnull=False)
        .order_by("-submitted_at", "-pk")
        .values("pk")[: settings.RISK_REASSESS_MATCHES_MAX]
    )
    # The mark tells the rows this UPDATE changed from those another worker marked: a
    # claim marked at the same microsecond by both is queued twice, assessed twice, no harm.
    mark = timezone.now()
    Claim.objects.filter(pk__in=newest, risk_queued_at__isnull=True).update(risk_queued_at=mark)
    # A claim whose assessment started since (its mark cleared) reads this one's signals.
    marked = sorted(
        Claim.objects.filter(pk__in=claim_pks, risk_queued_at=mark).values_list("pk", flat=True)
    )
    for claim_pk in marked:
        risk_assess_queue(claim_pk, follow_matches=False, queued_at=mark)
    return marked


def risk_assess_queue(
    claim_pk: int, *, follow_matches: bool = True, queued_at: datetime.datetime | None = None
) -> None:
    """Queue a claim's assessment: in the open transaction when the backend can, else after.

    Marks the claim queued (risk_queued_at; `queued_at`: the caller marked it already), so
    that no match queues it again before it starts. A queue that cannot take it is logged
    and never fails the caller (a submit, say); the mark is taken off, so that the next
    match queues it, and `manage.py assess_risk --unscored` catches up.
    """
    if queued_at is None:
        queued_at = timezone.now()
        Claim.objects.filter(pk=claim_pk).update(risk_queued_at=queued_at)

    def enqueue() -> None:
        try:
            # A savepoint: a database queue that fails leaves the caller's transaction usable.
            with transaction.atomic():
                claim_risk_assess_task.enqueue(claim_pk, follow_matches)
        except Exception:
            logger.exception("Claim %s: the risk assessment could not be queued", claim_pk)
            Claim.objects.filter(pk=claim_pk, risk_queued_at=queued_at).update(risk_queued_at=None)

    if settings.TASKS_ENQUEUE_ON_COMMIT:
        transaction.on_commit(enqueue)
    else:
        enqueue()
