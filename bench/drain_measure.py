"""One database's drains, measured in this process (``python -m bench.drain_rate`` runs it).

``python -m bench.drain_measure --database NAME --json PATH`` sets Django up on NAME
(a SQLite file, or a throwaway PostgreSQL cluster), then for each task backend (the
database, then Redis): ``WORKERS`` real ``manage.py delivery_worker`` processes share
that database and a sandbox that answers every claim after ``LATENCY_MS``. Once they
are idle, ``claims`` claims are queued in one transaction, so they all become visible at
once; the clock runs from just before that commit to the moment the last claim was filed
(its ``filed_at``). Then the baseline: as many threads as there are workers, each with its
own ``requests.Session``, POST the same payload to the same kind of sandbox (a fresh
Idempotency-Key each time), as many requests as there were claims.

What it measured is written to PATH as JSON: a list of ``{"drain": ..., "baseline": ...}``.
"""

import argparse
import copy
import itertools
import json
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench import harness

LATENCY_MS = 100
WORKERS = 4  # worker processes; the work is I/O bound (LATENCY_MS per claim)
BACKENDS = ("database", "redis")
DRAIN_TIMEOUT = 300.0
POLL_INTERVAL = 0.1
HTTP_TIMEOUT = 10.0
EXAMPLE_PAYLOAD = harness.REPO_ROOT / "tests" / "data" / "offline_claim_example.json"


@dataclass
class Drain:
    """One drain of the backlog; times in seconds from the clock's start."""

    database: str
    backend: str
    claims: int
    committed_s: float = 0.0  # the backlog became visible
    enqueued_s: float = 0.0  # every task was enqueued (after the commit, on Redis)
    filed_s: list[float] = field(default_factory=list)  # each filed claim, in order
    statuses: dict[str, int] = field(default_factory=dict)
    lost: int = 0
    duplicates: int = 0
    retried: int = 0  # claims that needed more than one attempt
    locked_in_logs: int = 0  # "database is locked" in the workers' logs
    tracebacks_in_logs: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.database}/{self.backend}"

    @property
    def seconds(self) -> float | None:
        """Clock start to the last claim filed; None if none was."""
        return self.filed_s[-1] if self.filed_s else None

    @property
    def rate(self) -> float:
        """Claims filed per second over the whole drain."""
        return len(self.filed_s) / self.seconds if self.seconds else 0.0

    def filed_after(self, fraction: float) -> float | None:
        """Seconds until ``fraction`` of the backlog was filed; None if it never was."""
        needed = max(1, round(self.claims * fraction))
        return self.filed_s[needed - 1] if len(self.filed_s) >= needed else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, rounded."""

        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "claims": self.claims,
            "filed": len(self.filed_s),
            "seconds": rounded(self.seconds),
            "claims_per_second": round(self.rate, 2),
            "committed_s": rounded(self.committed_s),
            "enqueued_s": rounded(self.enqueued_s),
            "first_filed_s": rounded(self.filed_after(1 / self.claims)),
            "half_filed_s": rounded(self.filed_after(0.5)),
            "p90_filed_s": rounded(self.filed_after(0.9)),
            "statuses": self.statuses,
            "lost": self.lost,
            "duplicates": self.duplicates,
            "retried": self.retried,
            "locked_in_logs": self.locked_in_logs,
            "tracebacks_in_logs": self.tracebacks_in_logs,
        }


@dataclass
class Baseline:
    """Bare concurrent POSTs to the sandbox."""

    requests: int
    threads: int
    seconds: float
    accepted: int

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "threads": self.threads,
            "seconds": round(self.seconds, 3),
            "accepted": self.accepted,
            "requests_per_second": round(self.rate, 2),
        }


def not_measured(database: str, backend: str, claims: int, why: str) -> Drain:
    return Drain(database=database, backend=backend, claims=claims, errors=[why])


def measure(database: str, *, claims: int, workers: int) -> list[tuple[Drain, Baseline | None]]:
    """In this process: set Django up on ``database`` and drain on each backend."""
    try:
        harness.setup_django(database)
    except harness.SetupError as error:
        return [
            (not_measured(database, backend, claims, f"not measured: {error}"), None)
            for backend in BACKENDS
        ]
    example = json.loads(EXAMPLE_PAYLOAD.read_text())
    measured = []
    try:
        for backend in BACKENDS:
            drain = Drain(database=database, backend=backend, claims=claims)
            baseline = None
            try:
                baseline = _measure(drain, example, workers=workers)
            except harness.SetupError as error:
                drain.errors.append(f"not measured: {error}")
            measured.append((drain, baseline))
    finally:
        harness.teardown_django()
    return measured


def _measure(drain: Drain, example: dict, *, workers: int) -> Baseline:
    """Drain the backlog with ``drain.backend``, check it, then measure the baseline."""
    from kiosk.models import Claim

    associate, store = harness.make_associate(username=f"drain-{drain.backend}")
    payloads = [_payload(example, store, f"drain-{drain.backend}-{n}") for n in range(drain.claims)]
    claims = _make_claims(store, associate, drain.claims)
    with harness.live_sandbox(latency_ms=LATENCY_MS, fetch_images=False) as sandbox:
        with ExitStack() as stack:
            redis_url = None
            if drain.backend == "redis":
                redis_url = stack.enter_context(harness.live_redis())
                stack.enter_context(harness.rq_task_backend(redis_url))
            env = harness.worker_env(api_url=sandbox.url, redis_url=redis_url)
            pool = stack.enter_context(harness.delivery_workers(count=workers, env=env))
            started = _queue(drain, claims, payloads)
            _wait_drained(drain, store, started)
            _check(drain, store, sandbox, started)
            logs = pool.log_text()
            drain.locked_in_logs = logs.count("database is locked")
            drain.tracebacks_in_logs = logs.count("Traceback")
            if drain.lost:
                drain.errors.append(f"worker logs:\n{pool.log_tails()}")
        drain.statuses = dict(
            Counter(Claim.objects.filter(store=store).values_list("status", flat=True))
        )
        return _baseline(sandbox, payloads[0], requests_total=drain.claims, threads=workers)


def _payload(example: dict, store: Any, customer: str) -> dict:
    """The documented example, for this store and a customer of its own."""
    payload = copy.deepcopy(example)
    payload["storeId"] = store.source_store_id
    payload["customer"]["email"] = f"{customer}@example.com"
    return payload


def _make_claims(store: Any, associate: Any, count: int) -> list[Any]:
    """``count`` complete draft claims (every step's fields; no images are needed)."""
    from tests.factories import ClaimFactory

    return ClaimFactory.create_batch(count, store=store, created_by=associate)


def _queue(drain: Drain, claims: list[Any], payloads: list[dict]) -> float:
    """Queue every claim in one transaction; returns the clock's start (``time.time()``).

    The clock starts just before the commit. ``committed_s`` is when the commit
    finished; ``enqueued_s`` when the tasks Redis gets after the commit were in.
    """
    from django.db import transaction

    from kiosk.delivery.queue import claim_queue
    from kiosk.models import Claim

    committed: list[float] = []
    with transaction.atomic():
        # Registered first, so it runs before the enqueues that wait for the commit.
        transaction.on_commit(lambda: committed.append(time.time()))
        for claim, payload in zip(claims, payloads, strict=True):
            if not claim_queue(claim=claim, payload=payload, claimable=Claim.objects.editable()):
                drain.errors.append(f"{claim.reference}: could not be queued")
        started = time.time()
    enqueued = time.time()
    drain.committed_s = committed[0] - started
    drain.enqueued_s = enqueued - started
    return started


def _wait_drained(drain: Drain, store: Any, started: float) -> None:
    """Poll until none of the store's claims is queued or sending, or time out."""
    from kiosk.models import Claim

    pending = Claim.objects.filter(
        store=store, status__in=(Claim.Status.QUEUED, Claim.Status.SENDING)
    )
    give_up_at = started + DRAIN_TIMEOUT
    while (left := pending.count()) and time.time() < give_up_at:
        time.sleep(POLL_INTERVAL)
    if left:
        drain.errors.append(f"{left} claims still queued or sending after {DRAIN_TIMEOUT:.0f} s")


def _check(drain: Drain, store: Any, sandbox: Any, started: float) -> None:
    """Every claim filed exactly once: none lost, none twice at the sandbox."""
    from kiosk.models import Claim

    claims = Claim.objects.filter(store=store)
    filed = list(
        claims.filter(status=Claim.Status.FILED).values_list(
            "filed_at", "claim_number", "idempotency_key"
        )
    )
    drain.filed_s = sorted(filed_at.timestamp() - started for filed_at, _, _ in filed)
    for reference, status, last_error in claims.exclude(status=Claim.Status.FILED).values_list(
        "reference", "status", "last_error"
    ):
        drain.lost += 1
        drain.errors.append(f"{reference}: lost, status {status!r} ({last_error})")

    claim_keys = sandbox.claim_keys
    drain.duplicates = sum(n - 1 for n in Counter(claim_keys.values()).values() if n > 1)
    if drain.duplicates:
        drain.errors.append(f"{drain.duplicates} claims were filed more than once at the sandbox")
    if len(sandbox.claims) != len(filed):
        drain.errors.append(
            f"the sandbox holds {len(sandbox.claims)} claims; the portal filed {len(filed)}"
        )
    mismatched = sum(1 for _, number, key in filed if claim_keys.get(number) != str(key))
    if mismatched:
        drain.errors.append(f"{mismatched} claim numbers in the portal differ from the sandbox's")
    drain.retried = claims.filter(delivery_attempts__gt=1).count()


def _baseline(sandbox: Any, payload: dict, *, requests_total: int, threads: int) -> Baseline:
    """``threads`` threads, a session each, POST ``payload`` ``requests_total`` times in all."""
    sandbox.reset()
    sandbox.set_faults(latency_ms=LATENCY_MS)
    url = sandbox.url + "/v1/claims/offline"
    numbers = itertools.count()
    lock = threading.Lock()
    answers: Counter[int] = Counter()

    def post_until_done() -> None:
        with requests.Session() as session:
            while next(numbers) < requests_total:
                response = session.post(
                    url,
                    json=payload,
                    headers={
                        "Authorization": f"Bearer {harness.SANDBOX_TOKEN}",
                        "Idempotency-Key": str(uuid.uuid4()),
                    },
                    timeout=HTTP_TIMEOUT,
                )
                with lock:
                    answers[response.status_code] += 1

    pool = [threading.Thread(target=post_until_done, name=f"baseline-{n}") for n in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    seconds = time.perf_counter() - started
    accepted = answers[200] + answers[201]
    return Baseline(requests=requests_total, threads=threads, seconds=seconds, accepted=accepted)


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.drain_measure --database NAME --claims N --json PATH``."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.drain_measure",
        description="Measure the drains on one database (`python -m bench` runs this).",
    )
    parser.add_argument("--database", choices=harness.DATABASES, required=True)
    parser.add_argument("--claims", type=int, required=True)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--json", type=Path, required=True, help="write the measurements here")
    args = parser.parse_args(argv)
    measured = measure(args.database, claims=args.claims, workers=args.workers)
    args.json.write_text(
        json.dumps(
            [
                {"drain": asdict(drain), "baseline": asdict(baseline) if baseline else None}
                for drain, baseline in measured
            ]
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
