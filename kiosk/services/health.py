"""Health: is this process able to take claims (/healthz), and is delivery keeping up
(/healthz/delivery)? The two are apart so that an OrderProtection outage, which only
delays delivery, never takes the web nodes out of a load balancer's rotation, and neither
do dead delivery workers: a web node serves the tablets without them, and claims wait
safely in the queue. Dead workers fail /healthz/delivery, the alerting check."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Count, Min, Q
from django.utils import timezone

from kiosk.delivery.heartbeat import workers_alive
from kiosk.models import Claim
from kiosk.selectors.scoping import claims_visible_to

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryBacklog:
    """Claims not filed yet: how many per status, and since when the oldest has waited."""

    counts: dict[str, int]
    oldest_in_flight: datetime | None  # queued or sending
    oldest_undelivered: datetime | None  # needs attention included

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)


def delivery_backlog(*, claims=None) -> DeliveryBacklog:
    """Of `claims` (default: every claim)."""
    undelivered = (Claim.objects.all() if claims is None else claims).undelivered()
    counts = dict(
        undelivered.values_list("status").annotate(count=Count("pk")).values_list("status", "count")
    )
    in_flight = Q(status__in=Claim.IN_FLIGHT_STATUSES)
    oldest = undelivered.aggregate(
        in_flight=Min("queued_at", filter=in_flight), undelivered=Min("queued_at")
    )
    return DeliveryBacklog(counts, oldest["in_flight"], oldest["undelivered"])


def health_liveness() -> tuple[bool, dict]:
    """Can this process store a claim: the database, file storage and the task queue."""
    checks = {
        "database": _check(_database),
        "storage": _check(_storage),
        "task_queue": _check(_task_queue),
    }
    return all(check["ok"] for check in checks.values()), checks


def health_delivery(*, claims=None) -> tuple[bool, dict]:
    """Is delivery keeping up: no claim of `claims` (default: every claim) has waited
    longer than HEALTHZ_MAX_QUEUE_AGE, and a worker is alive (a heartbeat within
    WORKER_HEARTBEAT_MAX_AGE) while claims are due. With none due, no live worker is only
    a warning in the details: nothing waits yet, and the first claim that does fails the
    check at once (its `reason` says since when no worker is alive)."""
    check = _check(_delivery_queue, claims=claims)
    return check["ok"], check


def health_delivery_details_for(*, user) -> dict | None:
    """The backlog a signed-in user may see: every store's for a superuser, their own
    stores' for a staff member of stores, None (only ok or fail) for anyone else."""
    if not (user.is_authenticated and user.is_staff):
        return None
    if user.is_superuser:
        return health_delivery()[1] | {"scope": "all stores"}
    if not user.stores.exists():
        return None
    return health_delivery(claims=claims_visible_to(user))[1] | {"scope": "your stores"}


def _check(probe, **arguments) -> dict:
    try:
        return {"ok": True} | probe(**arguments)
    except Exception as error:
        logger.warning("Health check %s failed: %s", probe.__name__, error)
        return {"ok": False, "error": type(error).__name__}


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {}


def _storage() -> dict:
    """Write and delete a tiny file, as storing a photo would."""
    name = default_storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)
    return {"backend": settings.MEDIA_STORAGE}


def _task_queue() -> dict:
    if settings.TASKS_BACKEND == "redis":
        import django_rq

        django_rq.get_connection("default").ping()
    return {"backend": settings.TASKS_BACKEND}


def _delivery_queue(*, claims=None) -> dict:
    backlog = delivery_backlog(claims=claims)
    now = timezone.now()
    oldest = backlog.oldest_in_flight
    age = round((now - oldest).total_seconds()) if oldest else 0
    limit = settings.HEALTHZ_MAX_QUEUE_AGE
    # Waiting for a worker now: queued, or outcome unknown with the lookup due (a claim
    # waiting out a backoff is not due yet).
    due = (
        (Claim.objects.all() if claims is None else claims)
        .filter(status__in=Claim.WAITING_STATUSES, next_attempt_at__lte=now)
        .count()
    )
    workers = workers_alive()
    details = {
        "oldest_undelivered_age_seconds": age,
        "max_age_seconds": limit,
        "queued": backlog.count(Claim.Status.QUEUED),
        "sending": backlog.count(Claim.Status.SENDING),
        "outcome_unknown": backlog.count(Claim.Status.OUTCOME_UNKNOWN),
        "needs_attention": backlog.count(Claim.Status.NEEDS_ATTENTION),
        "due": due,
        "workers_alive": workers.count,
        "last_worker_beat_at": workers.last_beat_at.isoformat() if workers.last_beat_at else None,
    }
    problems = []
    if limit and age > limit:
        problems.append(f"a claim has waited {age} s for delivery (limit {limit:g} s)")
    if settings.WORKER_HEARTBEAT_MAX_AGE and not workers.count:
        if workers.last_beat_at:
            dead = f"no delivery worker alive since {workers.last_beat_at.isoformat()}"
        else:
            dead = "no delivery worker has sent a heartbeat"
        dead += f" (none within {settings.WORKER_HEARTBEAT_MAX_AGE:g} s)"
        if due:
            problems.append(f"{dead}, and {due} claim(s) are due for delivery")
        else:
            details["warning"] = f"{dead}; no claim is due yet"
    if problems:
        details["reason"] = "; ".join(problems)
    return {"ok": not problems} | details
