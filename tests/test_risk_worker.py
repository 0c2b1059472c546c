"""End to end: a real worker assesses submitted claims, and a match goes both ways.

Two claims with the same receipt photo are submitted at the counter; a `manage.py
delivery_worker` process (db_worker, or RQ on a real redis-server) runs the queued
assessments. The second claim is found to reuse the first's receipt, and the first,
assessed again because the second matched it, names the second.
"""

import datetime
import io

import pytest
import redis
from django.urls import reverse
from PIL import Image, ImageDraw

from kiosk.models import Claim, ClaimAttachment, RiskSignal
from tests.conftest import attach
from tests.factories import ClaimFactory
from tests.images import signature_png
from tests.workers import wait_for, worker_env

pytestmark = pytest.mark.django_db(transaction=True)

PURCHASED = datetime.date.today() - datetime.timedelta(days=30)


def receipt_photo() -> bytes:
    """A till receipt: a white slip of printed lines on a dark counter."""
    image = Image.new("RGB", (900, 1200), (40, 40, 40))
    draw = ImageDraw.Draw(image)
    draw.rectangle((200, 60, 700, 1140), fill="white")
    for row, width in enumerate([300, 220, 380, 260, 400, 180, 340, 280, 360, 240, 300]):
        top = 120 + row * 90
        draw.rectangle((240, top, 240 + width, top + 28), fill=(30, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def item_photo(color: str) -> bytes:
    image = Image.new("RGB", (800, 600), color)
    ImageDraw.Draw(image).ellipse((200, 100, 600, 500), fill="white")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture
def two_claims_one_receipt(store, associate):
    receipt = receipt_photo()
    claims = []
    for color in ("navy", "darkgreen"):
        claim = ClaimFactory(store=store, created_by=associate, date_of_purchase=PURCHASED)
        attach(claim, ClaimAttachment.Kind.ITEM, item_photo(color))
        attach(claim, ClaimAttachment.Kind.RECEIPT, receipt)
        attach(claim, ClaimAttachment.Kind.SIGNATURE, signature_png())
        claims.append(claim)
    return claims


def submit(client, claim) -> None:
    response = client.post(reverse("kiosk:claim-submit", args=[claim.reference]))
    assert response.status_code == 302, response.content[:500]


def receipt_reuse_of(claim) -> list[int] | None:
    signal = RiskSignal.objects.filter(claim=claim, code=RiskSignal.Code.RECEIPT_REUSE).first()
    return signal.matched_claim_ids if signal else None


def wait_until_assessed(pool, claims, queue_is_empty) -> None:
    """Until the worker has scored every claim and its queue is empty (the matched claims'
    assessments done too); the workers' logs on failure."""

    def assessed_and_idle() -> bool:
        scored = all(Claim.objects.get(pk=c.pk).risk_scored_at is not None for c in claims)
        return scored and queue_is_empty()

    try:
        wait_for(assessed_and_idle, timeout=60, what="the worker to assess the claims and go idle")
    except AssertionError:
        print(pool.logs())
        raise


def check_both_ways(first, second) -> None:
    assert receipt_reuse_of(second) == [first.pk]
    assert receipt_reuse_of(first) == [second.pk]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.risk_level and second.risk_level


def database_queue_is_empty() -> bool:
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    waiting = (TaskResultStatus.READY, TaskResultStatus.RUNNING)
    return not DBTaskResult.objects.filter(status__in=waiting).exists()


def test_a_worker_assesses_both_claims_and_each_names_the_other(
    associate_client, two_claims_one_receipt, api_to_sandbox, media_server, worker_pool
):
    first, second = two_claims_one_receipt
    submit(associate_client, first)
    submit(associate_client, second)
    assert Claim.objects.get(pk=second.pk).risk_scored_at is None  # queued, not done inline

    pool = worker_pool(worker_env(api_url=api_to_sandbox.url, PUBLIC_MEDIA_BASE_URL=media_server))
    wait_until_assessed(pool, [first, second], database_queue_is_empty)

    check_both_ways(first, second)


def test_an_rq_worker_assesses_both_claims_and_each_names_the_other(
    redis_tasks,
    associate_client,
    two_claims_one_receipt,
    api_to_sandbox,
    media_server,
    worker_pool,
):
    from rq import Queue
    from rq.registry import StartedJobRegistry

    connection = redis.Redis.from_url(redis_tasks)
    queue = Queue("default", connection=connection)

    def rq_queue_is_empty() -> bool:
        return queue.count == 0 and StartedJobRegistry(queue=queue).count == 0

    first, second = two_claims_one_receipt
    submit(associate_client, first)
    submit(associate_client, second)
    assert Claim.objects.get(pk=second.pk).risk_scored_at is None

    env = worker_env(
        api_url=api_to_sandbox.url,
        TASKS_BACKEND="redis",
        REDIS_URL=redis_tasks,
        PUBLIC_MEDIA_BASE_URL=media_server,
    )
    wait_until_assessed(worker_pool(env), [first, second], rq_queue_is_empty)

    check_both_ways(first, second)
