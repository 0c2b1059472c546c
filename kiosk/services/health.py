"""What /healthz reports: can we store claims and photos, and is delivery keeping up?"""

import logging
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone

from kiosk.models import Claim

logger = logging.getLogger(__name__)


def health_report() -> tuple[bool, dict]:
    """Every check's result, and whether all of them are healthy."""
    checks = {
        "database": _check(_database),
        "storage": _check(_storage),
        "task_queue": _check(_task_queue),
    }
    queue = _check(_delivery_queue) if checks["database"]["ok"] else {"ok": False}
    checks["delivery"] = queue
    healthy = all(check["ok"] for check in checks.values())
    return healthy, {"status": "ok" if healthy else "unhealthy", "checks": checks}


def _check(probe) -> dict:
    try:
        return {"ok": True} | probe()
    except Exception as error:
        logger.warning("Health check %s failed: %s", probe.__name__, error)
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}


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


def _delivery_queue() -> dict:
    now = timezone.now()
    counts = dict(
        Claim.objects.undelivered()
        .values_list("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    oldest = Claim.objects.filter(
        status__in=(Claim.Status.QUEUED, Claim.Status.SUBMITTING)
    ).aggregate(oldest=Min("queued_at"))["oldest"]
    age = round((now - oldest).total_seconds()) if oldest else 0
    limit = settings.HEALTHZ_MAX_QUEUE_AGE
    return {
        "ok": not limit or age <= limit,
        "oldest_undelivered_age_seconds": age,
        "max_age_seconds": limit,
        "queued": counts.get(Claim.Status.QUEUED, 0),
        "sending": counts.get(Claim.Status.SUBMITTING, 0),
        "needs_attention": counts.get(Claim.Status.NEEDS_ATTENTION, 0),
    }
