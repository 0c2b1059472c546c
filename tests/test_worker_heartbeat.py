"""Delivery workers' heartbeats, and /healthz/delivery failing when none is alive while
claims wait: with real worker processes, killed as the OOM killer or a `kill -9` would."""

import datetime
import os

import pytest
from django.utils import timezone

from kiosk.delivery.heartbeat import worker_heartbeat_beat
from kiosk.models import Claim, WorkerHeartbeat
from tests.factories import ClaimFactory
from tests.workers import wait_for, worker_env

pytestmark = pytest.mark.django_db(transaction=True)

# Small, so that a test waits seconds, not the production minute.
BEAT_SECONDS = "0.2"
MAX_AGE = 2.0


@pytest.fixture
def fast_heartbeats(settings):
    settings.WORKER_HEARTBEAT_SECONDS = float(BEAT_SECONDS)
    settings.WORKER_HEARTBEAT_MAX_AGE = MAX_AGE


def heartbeat_of(process) -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.filter(pid=process.pid).first()


def waiting_claim(store, associate) -> Claim:
    now = timezone.now()
    return ClaimFactory(
        store=store,
        created_by=associate,
        status=Claim.Status.QUEUED,
        submitted_at=now,
        queued_at=now,
        next_attempt_at=now,
    )


def check_delivery_health_fails_once_the_only_worker_is_killed(
    pool, client, admin_client, store, associate
) -> None:
    [process] = pool.processes
    try:
        wait_for(lambda: heartbeat_of(process) is not None, timeout=60, what="a heartbeat")
        first_beat = heartbeat_of(process).beat_at
        wait_for(
            lambda: heartbeat_of(process).beat_at > first_beat,
            timeout=30,
            what="the heartbeat to be renewed",
        )
    except AssertionError:
        print(pool.logs())
        raise
    assert client.get("/healthz/delivery").status_code == 200

    pool.kill(process)
    waiting_claim(store, associate)

    # Within the max age (2 s here, 60 s by default) of the last beat; 30 s turns "never"
    # into a failure.
    wait_for(
        lambda: client.get("/healthz/delivery").status_code == 503,
        timeout=30,
        what="/healthz/delivery to fail with no live worker",
    )
    assert client.get("/healthz").status_code == 200  # the web node itself is fine
    details = admin_client.get("/healthz/delivery").json()["delivery"]
    assert details["reason"].startswith("no delivery worker alive since "), details
    assert "1 claim(s) are due" in details["reason"]
    assert details["workers_alive"] == 0 and details["due"] == 1


def test_delivery_health_fails_when_the_only_worker_is_killed_while_a_claim_waits(
    fast_heartbeats, client, admin_client, store, associate, worker_pool
):
    pool = worker_pool(
        worker_env(api_url="http://127.0.0.1:9", WORKER_HEARTBEAT_SECONDS=BEAT_SECONDS)
    )

    check_delivery_health_fails_once_the_only_worker_is_killed(
        pool, client, admin_client, store, associate
    )
    assert WorkerHeartbeat.objects.get().backend == "database"


def test_an_rq_worker_beats_too_and_its_death_fails_delivery_health(
    redis_tasks, fast_heartbeats, client, admin_client, store, associate, worker_pool
):
    env = worker_env(
        api_url="http://127.0.0.1:9",
        TASKS_BACKEND="redis",
        REDIS_URL=redis_tasks,
        WORKER_HEARTBEAT_SECONDS=BEAT_SECONDS,
    )
    pool = worker_pool(env)

    check_delivery_health_fails_once_the_only_worker_is_killed(
        pool, client, admin_client, store, associate
    )
    assert WorkerHeartbeat.objects.get().backend == "redis"


def test_a_worker_that_stops_cleanly_removes_its_heartbeat(fast_heartbeats, worker_pool):
    pool = worker_pool(
        worker_env(api_url="http://127.0.0.1:9", WORKER_HEARTBEAT_SECONDS=BEAT_SECONDS)
    )
    [process] = pool.processes
    wait_for(lambda: heartbeat_of(process) is not None, timeout=60, what="a heartbeat")

    pool.stop()  # SIGTERM, as supervisord and systemd stop it, even while it starts

    assert process.returncode in (0, 128 + 15), pool.logs()
    assert not WorkerHeartbeat.objects.exists()


def test_a_worker_runs_below_the_priority_it_was_started_with(fast_heartbeats, worker_pool):
    """So that, when the CPU is short, the tablets' pages go first (docs/load.md)."""
    env = worker_env(
        api_url="http://127.0.0.1:9",
        WORKER_HEARTBEAT_SECONDS=BEAT_SECONDS,
        DELIVERY_WORKER_NICE="7",
    )
    [process] = worker_pool(env).processes
    wait_for(lambda: heartbeat_of(process) is not None, timeout=60, what="a heartbeat")

    assert os.getpriority(os.PRIO_PROCESS, process.pid) == min(19, os.nice(0) + 7)


def test_a_beat_forgets_workers_dead_longer_than_the_max_age(settings):
    settings.WORKER_HEARTBEAT_MAX_AGE = 60
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    WorkerHeartbeat.objects.create(
        host="old-node", pid=41, backend="database", started_at=long_ago, beat_at=long_ago
    )
    WorkerHeartbeat.objects.create(host="other-node", pid=42, backend="database")

    worker_heartbeat_beat(host="this-node", pid=43, backend="database")

    assert set(WorkerHeartbeat.objects.values_list("pid", flat=True)) == {42, 43}


def test_no_worker_with_nothing_due_is_ok_with_a_warning(
    fast_heartbeats, client, admin_client, store, associate
):
    # A claim waiting out its backoff is not due: nobody would send it now anyway.
    claim = waiting_claim(store, associate)
    claim.next_attempt_at = timezone.now() + datetime.timedelta(minutes=10)
    claim.save()

    response = client.get("/healthz/delivery")

    assert response.status_code == 200
    details = admin_client.get("/healthz/delivery").json()["delivery"]
    assert details["warning"] == (
        "no delivery worker has sent a heartbeat (none within 2 s); no claim is due yet"
    )
    assert "reason" not in details


def test_a_live_worker_keeps_delivery_health_ok_while_a_claim_is_due(
    fast_heartbeats, client, store, associate
):
    worker_heartbeat_beat(host="node", pid=7, backend="database")
    waiting_claim(store, associate)

    assert client.get("/healthz/delivery").status_code == 200

    WorkerHeartbeat.objects.update(beat_at=timezone.now() - datetime.timedelta(seconds=MAX_AGE + 1))

    assert client.get("/healthz/delivery").status_code == 503
