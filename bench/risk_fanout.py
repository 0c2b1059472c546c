"""The risk workers' CPU when many claims share something: a phone and a receipt photo.

N claims are filed in bursts of BURST (the tablets file while the worker is busy); after
each burst one in-process worker runs every queued risk assessment (the real task,
`claim_risk_assess_task`, through a FIFO queue standing in for the tasks backend) until
the queue is empty. Its CPU (process time: SQLite runs in this process too) is measured
over those runs only, twice, in the same run:

- baseline: N claims with nothing in common (each its own phone, email, address and
  photos), so each is assessed once and matches nothing;
- shared: N claims with the same phone and the same receipt photo (the store's phone typed
  for customers without one; a receipt reused by a fraud ring), each with its own email,
  address and item photo.

Before the fix every assessment queued one of each claim it matched, so the shared claims
cost O(N²): the second half of them far more than the first (N=60: 1,920 assessments,
34.7x the baseline's CPU, second half / first half 2.74; after: 168, 2.7x, 1.31).
Target: shared / baseline ≤ TARGET_RATIO in worker CPU, and the shared second half /
first half ≤ TARGET_GROWTH (linear). The photos are stored with their hashes (no image
decoding): the cost measured is the finders' and the queue's.
`python -m bench --only risk_fanout --claims 100`.
"""

import collections
import random
import time
import uuid
from typing import Any
from unittest import mock

from bench import harness

NAME = "risk_fanout"
DEFAULT_CLAIMS = 100
BURST = 10
# A shared receipt's signal lists its 20 nearest claims (photos.MATCHES_LISTED), all the
# oldest at distance 0: a burst of BURST new claims queues those 20 once more, coalesced,
# so about 1 + 20 / BURST runs a claim whatever N, and each run reads a little more.
TARGET_RATIO = 4.0
TARGET_GROWTH = 1.5
KINDS = ("baseline", "shared")


def run(*, claims: int = DEFAULT_CLAIMS) -> harness.BenchResult:
    from django.conf import settings

    harness.setup_django()
    associate, store = harness.make_associate(username="risk-fanout")
    shared_receipt = (uuid.uuid4().hex, _hashes(random.Random(1)))
    randomness = random.Random(2)
    measured = {}
    for kind in KINDS:
        measured[kind] = _file_and_assess(
            kind, claims, store, associate, shared_receipt, randomness
        )
    return _report(claims, measured, getattr(settings, "RISK_REASSESS_MATCHES_MAX", None))


def _hashes(randomness: random.Random) -> list[int]:
    from kiosk.risk.distance import signed_64

    return [signed_64(randomness.getrandbits(64)) for _ in range(8)]


def _claim(kind: str, number: int, store: Any, associate: Any, shared_receipt, randomness):
    from django.utils import timezone

    from kiosk.models import Claim, ClaimAttachment
    from tests.factories import ClaimFactory, hashed_photo

    tag = f"{kind}-{number}-{uuid.uuid4().hex[:6]}"
    claim = ClaimFactory(
        store=store,
        created_by=associate,
        status=Claim.Status.FILED,
        submitted_at=timezone.now(),
        customer_email=f"{tag}@example.com",
        customer_phone="+12125550199"
        if kind == "shared"
        else f"+1212{randomness.randrange(10**7):07d}",
        ship_address1=f"{number} {tag} St",
    )
    hashed_photo(claim, _hashes(randomness), kind=ClaimAttachment.Kind.ITEM)
    if kind == "shared":
        sha256, hashes = shared_receipt
        receipt = hashed_photo(claim, hashes, kind=ClaimAttachment.Kind.RECEIPT)
        ClaimAttachment.objects.filter(pk=receipt.pk).update(sha256=sha256)
    else:
        hashed_photo(claim, _hashes(randomness), kind=ClaimAttachment.Kind.RECEIPT)
    return claim


def _file_and_assess(kind, claims, store, associate, shared_receipt, randomness) -> dict:
    """File `claims` claims in bursts; after each, run the queue dry. The worker's CPU."""
    from kiosk.risk import tasks

    queue: collections.deque = collections.deque()
    task = tasks.claim_risk_assess_task

    class Queue:
        def enqueue(self, *args, **kwargs):
            queue.append((args, kwargs))

    cpu_by_claim: list[float] = []
    runs = 0
    with mock.patch.object(tasks, "claim_risk_assess_task", Queue()):
        for start in range(0, claims, BURST):
            burst = range(start, min(start + BURST, claims))
            for number in burst:
                claim = _claim(kind, number, store, associate, shared_receipt, randomness)
                tasks.risk_assess_queue(claim.pk)
            started = time.process_time()
            while queue:
                args, kwargs = queue.popleft()
                task.call(*args, **kwargs)
                runs += 1
            cpu_by_claim += [(time.process_time() - started) / len(burst)] * len(burst)
    half = len(cpu_by_claim) // 2
    return {
        "assessments": runs,
        "cpu_s": round(sum(cpu_by_claim), 3),
        "first_half_cpu_s": round(sum(cpu_by_claim[:half]), 3),
        "second_half_cpu_s": round(sum(cpu_by_claim[half:]), 3),
    }


def _report(claims: int, measured: dict, cap: int | None) -> harness.BenchResult:
    base, shared = measured["baseline"], measured["shared"]
    ratio = shared["cpu_s"] / base["cpu_s"]
    growth = shared["second_half_cpu_s"] / shared["first_half_cpu_s"]
    passed = ratio <= TARGET_RATIO and growth <= TARGET_GROWTH
    rows = [
        ("claims per kind (burst)", f"{claims} ({BURST})"),
        ("RISK_REASSESS_MATCHES_MAX", str(cap) if cap is not None else "(none)"),
    ]
    for kind in KINDS:
        m = measured[kind]
        rows.append(
            (
                f"{kind}: assessments run, worker CPU",
                f"{m['assessments']}, {m['cpu_s']:.2f} s "
                f"({m['cpu_s'] / claims * 1000:.1f} ms a claim)",
            )
        )
    rows += [
        ("shared / baseline (worker CPU)", f"{ratio:.2f}  (target <= {TARGET_RATIO})"),
        ("shared: 2nd half / 1st half", f"{growth:.2f}  (target <= {TARGET_GROWTH})"),
    ]
    verdict = (
        f"{'PASS' if passed else 'FAIL'}: {claims} claims sharing a phone and a receipt cost "
        f"the worker {ratio:.2f}x the CPU of {claims} with nothing in common "
        f"(target <= {TARGET_RATIO}); second half / first half {growth:.2f}"
    )
    data = {
        "claims": claims,
        "burst": BURST,
        "reassess_matches_max": cap,
        "ratio": round(ratio, 3),
        "growth": round(growth, 3),
        "passed": passed,
    } | measured
    return harness.BenchResult(NAME, rows, data, verdict, [])
