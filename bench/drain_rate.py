"""Drain rate: how fast the delivery workers file a backlog of queued claims.

On each database (SQLite, then PostgreSQL) with each task backend (the database, then
Redis), against a baseline measured right after each drain: bare concurrent POSTs to
the same kind of sandbox, the rate that concurrency allows with nothing else in the way.
Django sets its database up once per process, so each database is measured by
``python -m bench.drain_measure`` in a process of its own; see there how.

Errors (non-zero exit): a claim not filed (lost), a claim filed twice at the sandbox
(duplicate), or a baseline call the sandbox did not accept.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import harness
from bench.drain_measure import BACKENDS, LATENCY_MS, WORKERS, Baseline, Drain, not_measured

NAME = "drain_rate"
DEFAULT_CLAIMS = 1000
DATABASES = harness.DATABASES
TARGET_RATE = 20.0  # claims per second
TARGET_CORES = 2


def run(*, claims: int = DEFAULT_CLAIMS, workers: int = WORKERS) -> harness.BenchResult:
    """Drain ``claims`` queued claims with ``workers`` workers, per database and backend."""
    measured: dict[str, tuple[Drain, Baseline | None]] = {}
    errors: list[str] = []
    for database in DATABASES:
        for drain, baseline in _measure_in_own_process(database, claims=claims, workers=workers):
            measured[drain.label] = (drain, baseline)
            errors += [f"{drain.label}: {error}" for error in drain.errors]
    return _report(claims, workers, measured, errors)


def _measure_in_own_process(
    database: str, *, claims: int, workers: int
) -> list[tuple[Drain, Baseline | None]]:
    """Run ``python -m bench.drain_measure`` on ``database``; read back what it measured."""
    with tempfile.TemporaryDirectory(prefix="claims-portal-drain-") as directory:
        output = Path(directory) / "measured.json"
        command = [sys.executable, "-m", "bench.drain_measure", "--database", database]
        command += ["--claims", str(claims), "--workers", str(workers), "--json", str(output)]
        process = subprocess.Popen(command, cwd=harness.REPO_ROOT)
        interrupted = False
        while process.poll() is None:
            try:
                process.wait()
            except KeyboardInterrupt:
                interrupted = True  # it got the Ctrl-C too: let it stop its workers and cluster
        if interrupted:
            raise KeyboardInterrupt
        if output.exists():
            return [
                (Drain(**run["drain"]), Baseline(**run["baseline"]) if run["baseline"] else None)
                for run in json.loads(output.read_text())
            ]
    failure = f"not measured: bench.drain_measure exited with {process.returncode}"
    return [(not_measured(database, backend, claims, failure), None) for backend in BACKENDS]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _report(
    claims: int,
    workers: int,
    measured: dict[str, tuple[Drain, Baseline | None]],
    errors: list[str],
) -> harness.BenchResult:
    cores = _cores()
    rows = [
        ("claims (sandbox latency)", f"{claims} ({LATENCY_MS} ms)"),
        ("workers / cores", f"{workers} / {cores}"),
    ]
    verdicts, data_runs = [], {}
    for label, (drain, baseline) in measured.items():
        if baseline is None:  # its set-up failed; the reason is in the errors
            rows.append((label, "not measured"))
            verdicts.append((False, f"{label} not measured"))
            data_runs[label] = {"measured": False}
            continue
        if baseline.accepted != baseline.requests:
            errors.append(
                f"{label}: baseline: the sandbox accepted {baseline.accepted} "
                f"of {baseline.requests} requests"
            )
        ratio = drain.rate / baseline.rate if baseline.rate else None
        met = drain.rate >= TARGET_RATE
        total = f"{drain.seconds:.1f} s" if drain.seconds is not None else "-"
        rows += [
            (f"{label}: drain rate", f"{drain.rate:.1f} claims/s ({total} total)"),
            (
                f"{label}: filed 1st / 50% / 90%",
                " / ".join(_seconds(drain.filed_after(f)) for f in (1 / claims, 0.5, 0.9)),
            ),
            (
                f"{label}: baseline",
                f"{baseline.rate:.1f} requests/s ({baseline.seconds:.1f} s, {workers} threads)",
            ),
            (f"{label}: drain / baseline", f"{ratio:.3f}" if ratio is not None else "-"),
            (f"{label}: >= {TARGET_RATE:.0f} claims/s", "met" if met else "NOT met"),
            (f"{label}: lost / duplicates", f"{drain.lost} / {drain.duplicates}"),
        ]
        if drain.retried or drain.locked_in_logs or drain.tracebacks_in_logs:
            rows.append(
                (
                    f"{label}: retried / locked / tracebacks",
                    f"{drain.retried} / {drain.locked_in_logs} / {drain.tracebacks_in_logs}",
                )
            )
        ratio_text = f", {ratio:.2f} of baseline" if ratio is not None else ""
        verdicts.append((met, f"{label} {drain.rate:.1f} claims/s{ratio_text}"))
        data_runs[label] = drain.to_dict() | {
            "database": drain.database,
            "backend": drain.backend,
            "measured": True,
            "passed": met,
            "baseline": baseline.to_dict(),
            "ratio_to_baseline": round(ratio, 4) if ratio is not None else None,
        }
    passed = all(met for met, _ in verdicts)
    verdict = (
        f"{'PASS' if passed else 'FAIL'}: drain rate {'; '.join(text for _, text in verdicts)} "
        f"(target >= {TARGET_RATE:.0f} claims/s on {TARGET_CORES} cores; this machine: {cores})"
    )
    rows.append(("lost / errors", f"{len(errors)}"))
    data = {
        "claims": claims,
        "workers": workers,
        "cores": cores,
        "latency_ms": LATENCY_MS,
        "target_claims_per_second": TARGET_RATE,
        "target_cores": TARGET_CORES,
        "passed": passed,
        "runs": data_runs,
    }
    return harness.BenchResult(name=NAME, rows=rows, data=data, verdict=verdict, errors=errors)


def _seconds(value: float | None) -> str:
    return f"{value:.1f} s" if value is not None else "-"
