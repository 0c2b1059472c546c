from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """A delivery worker process that says it is alive: one row per process, its beat_at
    renewed every WORKER_HEARTBEAT_SECONDS by a thread of the worker
    (`kiosk.delivery.heartbeat`). A clean stop deletes the row; a killed worker's row
    stays until a live worker forgets it, so the time of the last beat is known."""

    class Backend(models.TextChoices):
        DATABASE = "database", _("Database (django-tasks-db)")
        REDIS = "redis", _("Redis (RQ)")

    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    backend = models.CharField(max_length=16, choices=Backend)
    started_at = models.DateTimeField(default=timezone.now)
    beat_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["host", "pid"], name="unique_worker_process")
        ]

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"
