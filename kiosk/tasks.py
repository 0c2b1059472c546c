"""Background tasks, run by the worker of the configured backend (see settings.TASKS)."""

from django.db import close_old_connections
from django.tasks import task


@task
def deliver_claim(claim_pk: int) -> str:
    """One delivery attempt for a queued claim that is due; a no-op otherwise."""
    from kiosk.services.delivery import claim_deliver  # the service enqueues this task

    # As around a request: a long-lived worker must not keep a broken or expired connection.
    close_old_connections()
    try:
        return claim_deliver(claim_pk=claim_pk).value
    finally:
        close_old_connections()


@task
def process_webhook_event(event_pk: int) -> str:
    """Apply one stored OrderProtection webhook event to its claim."""
    from kiosk.services.webhooks import webhook_event_process

    close_old_connections()
    try:
        return webhook_event_process(event_pk=event_pk)
    finally:
        close_old_connections()


@task
def send_customer_copy(claim_pk: int) -> str:
    """Email the customer's copy of a submitted claim, once; a failure is recorded on it."""
    from kiosk.services.customer_copy import customer_copy_send

    close_old_connections()
    try:
        return customer_copy_send(claim_pk=claim_pk)
    finally:
        close_old_connections()
