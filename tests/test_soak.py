"""Delivery under stress, by real worker processes: a soak with random faults, and a crash."""

import copy
import json
import time
from collections import Counter
from pathlib import Path

import pytest

from kiosk.delivery.queue import claim_queue
from kiosk.models import Claim, DeliveryAttempt
from sandbox import SandboxServer
from tests.factories import ClaimFactory
from tests.workers import wait_for, worker_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

EXAMPLE = json.loads((Path(__file__).parent / "data" / "offline_claim_example.json").read_text())
TRANSIENT_FAULTS = (
    "error_500",
    "error_502",
    "error_503",
    "rate_limit_429",
    "drop",
    "hang",
    "malformed_json",
    "drop@after_filing",
    "error_503@after_filing",
)


@pytest.fixture
def soak_sandbox():
    """A sandbox of its own that does not fetch images, so only delivery is measured.

    Like the real API as documented, it honours no idempotency key: a claim sent twice
    is filed twice, so every duplicate shows in its count.
    """
    server = SandboxServer(fetch_images=False).start()
    yield server
    server.stop()


def queue_claims(store, associate, count: int) -> list[Claim]:
    claims = ClaimFactory.create_batch(count, store=store, created_by=associate)
    for number, claim in enumerate(claims):
        payload = copy.deepcopy(EXAMPLE)
        payload["storeId"] = store.source_store_id
        payload["customer"]["email"] = f"soak-{number}@example.com"
        assert claim_queue(claim=claim, payload=payload, claimable=Claim.objects.editable())
    return claims


def assert_each_filed_exactly_once(sandbox: SandboxServer, claims: list[Claim]) -> int:
    """Every filed claim is at the sandbox once and no claim is there twice; returns how
    many claims the sandbox filed more than once (0, or the assertion fails)."""
    keys_at_sandbox = Counter(sandbox.claim_keys.values())
    emails_at_sandbox = Counter(body["customer"]["email"] for body in sandbox.claims.values())
    filed = Claim.objects.filter(pk__in=[c.pk for c in claims], status=Claim.Status.FILED)
    duplicates = sum(count - 1 for count in emails_at_sandbox.values())
    assert duplicates == 0, f"{duplicates} claim(s) filed twice"
    assert max(keys_at_sandbox.values()) == 1, "a claim was filed twice"
    assert len(sandbox.claims) == filed.count()
    for claim in filed:
        assert sandbox.claim_keys[claim.claim_number] == str(claim.idempotency_key)
        assert not claim.possible_duplicates
    return duplicates


def test_soak_1000_claims_with_30_percent_transient_faults(
    store, associate, soak_sandbox, worker_pool
):
    soak_sandbox.set_faults(mix=TRANSIENT_FAULTS, probability=0.3, seed=1234, hang_seconds=1.0)
    # A request the sandbox reads after the client gave up (a busy machine) is filed
    # late: the lookup waits for it, as in production (30 s there), or it misses it and
    # the claim is sent twice.
    env = worker_env(
        api_url=soak_sandbox.url, ORDERPROTECTION_READ_TIMEOUT="0.5", DELIVERY_LOOKUP_DELAY="5"
    )
    claims = queue_claims(store, associate, 1000)
    pool = worker_pool(env, count=4)

    def settled() -> bool:
        return not Claim.objects.filter(status__in=Claim.IN_FLIGHT_STATUSES).exists()

    try:
        wait_for(settled, timeout=240, what="every claim to be filed or need attention", poll=1)
    except AssertionError:
        print(pool.logs())
        raise

    statuses = Counter(Claim.objects.values_list("status", flat=True))
    assert sum(statuses.values()) == 1000, "a claim was lost"
    assert set(statuses) <= {Claim.Status.FILED, Claim.Status.NEEDS_ATTENTION}
    duplicates = assert_each_filed_exactly_once(soak_sandbox, claims)
    posts = [r for r in soak_sandbox.received if r.method == "POST"]
    faulted = sum(1 for r in posts if r.fault != "none")
    assert faulted > 300, f"only {faulted} faults were injected"
    # Every attempt is in the audit trail, with the decision taken.
    assert not Claim.objects.filter(attempts__decision="").exists()
    calls = Counter(DeliveryAttempt.objects.values_list("kind", "outcome"))
    assert calls[("lookup", "found")] > 0, "no answer lost after filing was found again"
    print(
        f"soak: {dict(statuses)}; {faulted} faults injected into {len(posts)} claim requests; "
        f"unknown outcomes {calls[('send', 'unknown')]}; lookups found "
        f"{calls[('lookup', 'found')]}, not found {calls[('lookup', 'not_found')]}; "
        f"duplicates {duplicates}; calls {dict(calls)}"
    )


def test_crash_mid_delivery_then_restart_files_each_claim_once(
    store, associate, soak_sandbox, worker_pool
):
    from django.core.management import call_command

    soak_sandbox.set_faults(latency_ms=1500)
    env = worker_env(api_url=soak_sandbox.url)
    claims = queue_claims(store, associate, 5)
    pool = worker_pool(env, count=1)
    wait_for(
        lambda: Claim.objects.filter(status=Claim.Status.SENDING).exists(),
        timeout=30,
        what="a delivery in flight",
    )
    in_flight = Claim.objects.get(status=Claim.Status.SENDING)
    key = str(in_flight.idempotency_key)
    time.sleep(0.5)  # the request is at the sandbox, which takes 1.5 s to answer

    pool.kill(pool.processes[0])  # SIGKILL: no chance to clean up

    # The sandbox finishes the request the dead worker sent: the claim exists there.
    wait_for(lambda: key in soak_sandbox.claim_keys.values(), timeout=10, what="the sandbox")
    in_flight.refresh_from_db()
    assert in_flight.status == Claim.Status.SENDING
    soak_sandbox.set_faults(latency_ms=0)
    call_command("recover_deliveries", "--stuck-after", "0", verbosity=0)
    pool.start(1)
    wait_for(
        lambda: Claim.objects.filter(status=Claim.Status.FILED).count() == 5,
        timeout=60,
        what="every claim to be filed",
    )

    assert_each_filed_exactly_once(soak_sandbox, claims)
    assert len(soak_sandbox.claims) == 5
    in_flight.refresh_from_db()
    # The dead worker's request was filed: the claim is found there, not sent again.
    calls = list(in_flight.attempts.values_list("kind", "outcome"))
    assert calls == [("send", "interrupted"), ("lookup", "found")]
    sent = [r for r in soak_sandbox.received if r.idempotency_key == key]
    assert len(sent) == 1
