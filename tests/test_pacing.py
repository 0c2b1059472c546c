"""Re-sends after an outage are paced: jittered retry times, and a cap on sends in flight."""

import copy
import datetime
import json
from pathlib import Path

import pytest
from django.utils import timezone

from kiosk.delivery.queue import claim_queue
from kiosk.delivery.recovery import deliveries_recover
from kiosk.delivery.results import Result
from kiosk.delivery.sending import claim_deliver
from kiosk.models import Claim
from tests.factories import ClaimFactory
from tests.workers import wait_for, worker_env

EXAMPLE = json.loads((Path(__file__).parent / "data" / "offline_claim_example.json").read_text())


def queue_claims(store, associate, count: int) -> list[Claim]:
    claims = ClaimFactory.create_batch(count, store=store, created_by=associate)
    for number, claim in enumerate(claims):
        payload = copy.deepcopy(EXAMPLE)
        payload["storeId"] = store.source_store_id
        payload["customer"]["email"] = f"pacing-{number}@example.com"
        assert claim_queue(claim=claim, payload=payload, claimable=Claim.objects.editable())
    return claims


def spread(seconds: list[float]) -> float:
    return max(seconds) - min(seconds)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fault, told",
    [
        # "Come back in 30 s", told to every claim of the outage alike.
        ({"mode": "rate_limit_429", "retry_after": 30}, "retry_after"),
        # Filed, but the answer was lost: each waits DELIVERY_LOOKUP_DELAY before its lookup.
        ({"mode": "drop", "after_filing": True}, "lookup_delay"),
    ],
)
def test_claims_that_failed_together_come_back_spread_over_a_window(
    fault, told, store, associate, api_to_own_sandbox, settings
):
    settings.DELIVERY_LOOKUP_DELAY = 30
    settings.DELIVERY_RETRY_JITTER = 1.0
    claims = queue_claims(store, associate, 50)
    api_to_own_sandbox.set_faults(**fault)

    for claim in claims:
        assert claim_deliver(claim_pk=claim.pk) is Result.QUEUED

    waits = []
    for claim in claims:
        claim.refresh_from_db()
        failed_at = claim.attempts.get().started_at
        waits.append((claim.next_attempt_at - failed_at).total_seconds())
    # Never sooner than told, and spread over most of [30, 60] s rather than all at 30 s.
    assert min(waits) >= 30
    assert spread(waits) >= 15, f"50 retries within {spread(waits):.2f} s of each other"


@pytest.mark.django_db
def test_recovery_spreads_the_claims_it_takes_back(store, associate, settings):
    settings.DELIVERY_RECOVERY_SPREAD = 60
    long_ago = timezone.now() - datetime.timedelta(minutes=10)
    stuck = ClaimFactory.create_batch(
        25,
        store=store,
        created_by=associate,
        status=Claim.Status.SENDING,
        sending_started_at=long_ago,
        queued_at=long_ago,
        next_attempt_at=long_ago,
    )
    overdue = ClaimFactory.create_batch(
        25,
        store=store,
        created_by=associate,
        status=Claim.Status.QUEUED,
        queued_at=long_ago,
        next_attempt_at=long_ago,
    )
    before = timezone.now()

    recovery = deliveries_recover()

    assert len(recovery.requeued) == 25 and len(recovery.reenqueued) == 25
    for group in (stuck, overdue):
        times = Claim.objects.filter(pk__in=[c.pk for c in group]).values_list(
            "next_attempt_at", flat=True
        )
        offsets = [(t - before).total_seconds() for t in times]
        assert min(offsets) >= 0 and max(offsets) <= 61
        assert spread(offsets) >= 20, f"25 claims taken back within {spread(offsets):.2f} s"


@pytest.mark.django_db
def test_a_due_claim_over_the_cap_is_put_back_without_counting_an_attempt(
    store, associate, api_to_own_sandbox, settings
):
    settings.DELIVERY_MAX_IN_FLIGHT = 1
    settings.DELIVERY_IN_FLIGHT_PAUSE = 5
    sending, waiting = queue_claims(store, associate, 2)
    Claim.objects.filter(pk=sending.pk).update(
        status=Claim.Status.SENDING, sending_started_at=timezone.now()
    )
    before = timezone.now()

    assert claim_deliver(claim_pk=waiting.pk) is Result.PUT_BACK

    waiting.refresh_from_db()
    assert waiting.status == Claim.Status.QUEUED
    assert waiting.delivery_attempts == 0 and not waiting.attempts.exists()
    assert 5 <= (waiting.next_attempt_at - before).total_seconds() <= 11
    assert api_to_own_sandbox.received == []
    # A sender that stopped long ago holds no place: the claim is taken.
    Claim.objects.filter(pk=sending.pk).update(
        sending_started_at=timezone.now() - datetime.timedelta(hours=1)
    )
    Claim.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now())
    assert claim_deliver(claim_pk=waiting.pk) is Result.FILED


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_pool_of_workers_never_has_more_than_the_cap_in_flight(
    store, associate, api_to_own_sandbox, worker_pool
):
    # Every send lasts long enough for the workers to overlap.
    api_to_own_sandbox.set_faults(latency_ms=300)
    claims = queue_claims(store, associate, 16)
    pool = worker_pool(
        worker_env(api_url=api_to_own_sandbox.url, DELIVERY_MAX_IN_FLIGHT="2"), count=4
    )

    def all_filed() -> bool:
        return Claim.objects.filter(status=Claim.Status.FILED).count() == len(claims)

    try:
        wait_for(all_filed, timeout=120, what="every claim to be filed", poll=0.5)
    except AssertionError:
        print(pool.logs())
        raise

    assert api_to_own_sandbox.claims_in_flight["peak"] <= 2
    assert len(api_to_own_sandbox.claims) == len(claims), "a claim was filed twice"
    # Put back by the cap, never failed: one attempt each.
    assert set(Claim.objects.values_list("delivery_attempts", flat=True)) == {1}
