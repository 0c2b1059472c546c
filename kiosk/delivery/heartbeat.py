"""Delivery workers' heartbeats: each worker process renews a row every
WORKER_HEARTBEAT_SECONDS from a thread of its own, so /healthz/delivery can tell that no
worker is alive while claims wait.

A thread rather than a hook in the worker's loop: the same code serves django-tasks-db's
db_worker (which records no workers of its own) and RQ's SimpleWorker (whose registry in
Redis has a heartbeat, but with a TTL of minutes (420 s), not renewed while a job runs, and on
Redis only). A thread proves the process lives, not that its loop moves: a worker frozen
in a call is bounded by the API client's timeouts, and a backlog that stops moving still
fails the check by its age (HEALTHZ_MAX_QUEUE_AGE).
"""

import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Max
from django.utils import timezone

from kiosk.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkersAlive:
    """How many workers beat within WORKER_HEARTBEAT_MAX_AGE, and the last beat of any."""

    count: int
    last_beat_at: datetime | None


def worker_heartbeat_beat(*, host: str, pid: int, backend: str) -> None:
    """Record that this worker process is alive now, and forget workers dead for longer
    than WORKER_HEARTBEAT_MAX_AGE (a live worker is here to say so)."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        host=host, pid=pid, defaults={"beat_at": now}, create_defaults={"backend": backend}
    )
    if max_age := settings.WORKER_HEARTBEAT_MAX_AGE:
        WorkerHeartbeat.objects.filter(beat_at__lt=now - timedelta(seconds=max_age)).delete()


def worker_heartbeat_stop(*, host: str, pid: int) -> None:
    """A worker that stops cleanly is no longer counted."""
    WorkerHeartbeat.objects.filter(host=host, pid=pid).delete()


def workers_alive() -> WorkersAlive:
    """The workers that beat within WORKER_HEARTBEAT_MAX_AGE (every worker with 0)."""
    rows = WorkerHeartbeat.objects.all()
    if max_age := settings.WORKER_HEARTBEAT_MAX_AGE:
        last = rows.aggregate(last=Max("beat_at"))["last"]
        alive = rows.filter(beat_at__gte=timezone.now() - timedelta(seconds=max_age)).count()
        return WorkersAlive(alive, last)
    return WorkersAlive(rows.count(), rows.aggregate(last=Max("beat_at"))["last"])


class _Heartbeat(threading.Thread):
    def __init__(self, *, backend: str):
        super().__init__(name="worker-heartbeat", daemon=True)
        self.host, self.pid, self.backend = socket.gethostname(), os.getpid(), backend
        self.stopping = threading.Event()

    def beat(self) -> None:
        try:
            close_old_connections()
            worker_heartbeat_beat(host=self.host, pid=self.pid, backend=self.backend)
        except Exception:
            # A database outage must not kill the worker; the missing beats say it.
            logger.exception("The worker's heartbeat could not be written")

    def run(self) -> None:
        try:
            while not self.stopping.wait(settings.WORKER_HEARTBEAT_SECONDS):
                self.beat()
        finally:
            connection.close()


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def worker_heartbeats(*, backend: str) -> Iterator[None]:
    """Beat once now, then every WORKER_HEARTBEAT_SECONDS until the block ends; then say
    this worker stopped (a killed worker stops beating instead). Call it from the main
    thread: a SIGTERM before the worker installs its own handler (while it starts) ends
    the block too, so that a worker stopped while starting leaves no row either."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    heartbeat = _Heartbeat(backend=backend)
    heartbeat.beat()
    heartbeat.start()
    try:
        yield
    finally:
        heartbeat.stopping.set()
        heartbeat.join(timeout=settings.WORKER_HEARTBEAT_SECONDS + 5)
        try:
            worker_heartbeat_stop(host=heartbeat.host, pid=heartbeat.pid)
        except Exception:
            logger.exception("The stopped worker's heartbeat could not be removed")
