"""Pacing the worker's sends: at most DELIVERY_MAX_IN_FLIGHT claims "sending" at once.

After an outage every held claim comes due within minutes; without a cap the workers
(and the counter) would send them all at once and the API, just back, would face the
stampede that took it down. A worker takes a due claim only while fewer than the cap
are sending; otherwise it puts the claim back a short, jittered while later, without
counting an attempt (kiosk.delivery.sending.claim_deliver).

The counter's inline attempts are counted but never refused: an associate is waiting
for them, and the counter has its own bound. Counting them makes the worker's re-sends
yield to the counter, so the API sees at most the cap from the workers plus whatever
part of the cap the counter is not using.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, QuerySet

from kiosk.delivery.decisions import jittered_wait
from kiosk.models import Claim

# Any fixed number: the PostgreSQL advisory lock that makes "count, then take" one step.
IN_FLIGHT_LOCK = 0x6B696F736B  # "kiosk"


@contextmanager
def in_flight_lock() -> Iterator[None]:
    """A transaction in which the sends in flight cannot change under the caller's feet.

    SQLite runs one writer at a time (transaction_mode IMMEDIATE), so a transaction is
    enough; PostgreSQL's READ COMMITTED lets two UPDATEs count the same rows, so takers
    queue on an advisory lock held until the commit.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IN_FLIGHT_LOCK])
        yield


def under_in_flight_cap(due: QuerySet, *, now: datetime) -> QuerySet:
    """`due`, narrowed to nothing while DELIVERY_MAX_IN_FLIGHT claims are sending.

    A claim sending for longer than DELIVERY_STUCK_AFTER was left by a stopped sender
    (recover_deliveries takes it back): it no longer holds a place.
    """
    cap = settings.DELIVERY_MAX_IN_FLIGHT
    if cap <= 0:
        return due
    sending = Claim.objects.filter(
        status=Claim.Status.SENDING,
        sending_started_at__gte=now - timedelta(seconds=settings.DELIVERY_STUCK_AFTER),
    ).order_by("pk")
    return due.filter(~Exists(sending[cap - 1 : cap]))


def claim_put_back(due: QuerySet, *, now: datetime) -> bool:
    """Move a due claim a short jittered while later, attempts untouched; False when it was
    not due (or is held by another sender), so nothing was put back."""
    if settings.DELIVERY_MAX_IN_FLIGHT <= 0:
        return False
    later = now + timedelta(seconds=jittered_wait(settings.DELIVERY_IN_FLIGHT_PAUSE))
    return bool(due.update(next_attempt_at=later, updated_at=now))
