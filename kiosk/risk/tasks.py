"""The risk assessment task, run by the worker of the configured backend (settings.TASKS)."""

import logging

from django.conf import settings
from django.db import close_old_connections, transaction
from django.tasks import task

from kiosk.risk.scoring import claim_risk_assess

logger = logging.getLogger(__name__)


@task
def claim_risk_assess_task(claim_pk: int, follow_matches: bool = True) -> int:
    """Assess a claim; then, once, the claims it matched (they learn of this one)."""
    close_old_connections()
    try:
        matched = claim_risk_assess(claim_pk=claim_pk)
        if follow_matches:
            for other_pk in sorted(matched):
                risk_assess_queue(other_pk, follow_matches=False)
        return len(matched)
    finally:
        close_old_connections()


def risk_assess_queue(claim_pk: int, *, follow_matches: bool = True) -> None:
    """Queue a claim's assessment: in the open transaction when the backend can, else after.

    A queue that cannot take it is logged and never fails the caller (a submit, say):
    `manage.py assess_risk --unscored` catches up.
    """

    def enqueue() -> None:
        try:
            # A savepoint: a database queue that fails leaves the caller's transaction usable.
            with transaction.atomic():
                claim_risk_assess_task.enqueue(claim_pk, follow_matches)
        except Exception:
            logger.exception("Claim %s: the risk assessment could not be queued", claim_pk)

    if settings.TASKS_ENQUEUE_ON_COMMIT:
        transaction.on_commit(enqueue)
    else:
        enqueue()
