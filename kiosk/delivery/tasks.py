"""The delivery task, run by the worker of the configured backend (settings.TASKS)."""

from datetime import datetime

from django.conf import settings
from django.db import close_old_connections, transaction
from django.tasks import task

from kiosk.delivery.results import Result
from kiosk.delivery.sending import claim_deliver
from kiosk.models import Claim


@task
def claim_deliver_task(claim_pk: int) -> str:
    """One delivery attempt for a queued claim that is due (a no-op otherwise), and the next
    one scheduled when it is to be tried again."""
    # As around a request: a long-lived worker must not keep a broken or expired connection.
    close_old_connections()
    try:
        result = claim_deliver(claim_pk=claim_pk)
        if result in (Result.QUEUED, Result.PUT_BACK):
            delivery_enqueue_next(claim_pk)
        return result.value
    finally:
        close_old_connections()


def delivery_enqueue_next(claim_pk: int) -> None:
    """Enqueue the next attempt of a claim waiting to be tried again, at its recorded time."""
    waiting = Claim.objects.filter(pk=claim_pk, status__in=Claim.WAITING_STATUSES)
    if run_after := waiting.values_list("next_attempt_at", flat=True).first():
        delivery_enqueue(claim_pk, run_after=run_after)


def delivery_enqueue(claim_pk: int, *, run_after: datetime | None = None) -> None:
    """Enqueue the delivery task: in the open transaction when the backend can, else after it.

    If the queue is down, or the process stops before this runs, the claim stays queued and
    `recover_deliveries` enqueues it again once it is overdue.
    """
    task = claim_deliver_task.using(run_after=run_after) if run_after else claim_deliver_task
    if settings.TASKS_ENQUEUE_ON_COMMIT:
        transaction.on_commit(lambda: task.enqueue(claim_pk), robust=True)
    else:
        task.enqueue(claim_pk)
