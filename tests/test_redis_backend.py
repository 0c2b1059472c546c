"""The same delivery, on the scale-out backend: RQ workers on a real redis-server."""

import pytest
import redis
from django.urls import reverse

from kiosk.models import Claim
from tests.workers import wait_for, worker_env

pytestmark = pytest.mark.django_db(transaction=True)


def test_redis_backend_retries_and_files_each_claim_once(
    redis_tasks, associate_client, complete_claim, api_to_sandbox, media_server, worker_pool
):
    api_to_sandbox.set_faults(mode="rate_limit_429", times=2)

    response = associate_client.post(reverse("kiosk:claim-submit", args=[complete_claim.reference]))
    page = associate_client.get(response.url).content.decode()
    complete_claim.refresh_from_db()

    assert "Saved. It will be filed automatically." in page
    assert complete_claim.status == Claim.Status.QUEUED
    # The retry waits in Redis, not in the database.
    assert redis.Redis.from_url(redis_tasks).keys("rq:*")
    env = worker_env(
        api_url=api_to_sandbox.url,
        TASKS_BACKEND="redis",
        REDIS_URL=redis_tasks,
        PUBLIC_MEDIA_BASE_URL=media_server,
    )
    pool = worker_pool(env, count=2)
    try:
        wait_for(
            lambda: Claim.objects.get(pk=complete_claim.pk).status == Claim.Status.FILED,
            timeout=60,
            what="the RQ worker to file the claim",
        )
    except AssertionError:
        print(pool.logs())
        raise

    complete_claim.refresh_from_db()
    attempts = list(
        complete_claim.attempts.values_list("kind", "status_code", "outcome", "sent_from")
    )
    assert [(code, by) for _, code, _, by in attempts[:2]] == [(429, "counter"), (429, "worker")]
    # Then the worker files it: a 201, or, when the answer did not come in time on a busy
    # machine, the lookup that finds it filed. Either way, once.
    assert all(by == "worker" for *_, by in attempts[1:]), attempts
    assert attempts[-1][2] in {"filed", "found"}, attempts
    assert len(api_to_sandbox.claims) == 1
    assert complete_claim.claim_number in associate_client.get(response.url).content.decode()


def test_healthz_pings_redis(redis_tasks, admin_client):
    response = admin_client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["task_queue"] == {"ok": True, "backend": "redis"}
