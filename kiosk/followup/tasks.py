"""The follow-up tasks (the customer's copy, webhook events), run by the worker of the
configured backend (settings.TASKS), and the queueing of the customer's copy."""

import logging

from django.conf import settings
from django.db import close_old_connections, transaction
from django.tasks import task

from kiosk.followup.customer_copy import customer_copy_failed, customer_copy_send
from kiosk.followup.webhook_events import webhook_event_process
from kiosk.models import Claim

logger = logging.getLogger(__name__)


@task
def webhook_event_process_task(event_pk: int) -> str:
    """Apply one stored OrderProtection webhook event to its claim."""
    close_old_connections()
    try:
        return webhook_event_process(event_pk=event_pk)
    finally:
        close_old_connections()


@task
def customer_copy_send_task(claim_pk: int) -> str:
    """Email the customer's copy of a submitted claim, once; a failure is recorded on it."""
    close_old_connections()
    try:
        return customer_copy_send(claim_pk=claim_pk)
    finally:
        close_old_connections()


def customer_copy_queue(*, claim: Claim) -> bool:
    """Queue the customer's copy of a submitted claim, unless it was queued before.

    Returns whether it was queued now. A queue that cannot take the task is
    recorded as a failure of the copy; the claim is not affected.
    """
    try:
        with transaction.atomic():
            queued = Claim.objects.filter(pk=claim.pk, customer_copy_status="").update(
                customer_copy_status=Claim.CustomerCopyStatus.QUEUED
            )
            if queued:
                if settings.TASKS_ENQUEUE_ON_COMMIT:
                    transaction.on_commit(lambda: customer_copy_send_task.enqueue(claim.pk))
                else:
                    customer_copy_send_task.enqueue(claim.pk)
    except Exception as error:  # the queue, not the claim: record it for managers
        logger.exception("Claim %s: the customer's copy could not be queued", claim.reference)
        customer_copy_failed(claim_pk=claim.pk, error=error)
        return False
    if queued:
        claim.customer_copy_status = Claim.CustomerCopyStatus.QUEUED
    return bool(queued)


def customer_copy_retry(*, claim: Claim) -> bool:
    """Queue a copy that failed again (for a manager); returns whether it was queued."""
    if not Claim.objects.filter(
        pk=claim.pk, customer_copy_status=Claim.CustomerCopyStatus.FAILED
    ).update(customer_copy_status=""):
        return False
    return customer_copy_queue(claim=claim)
