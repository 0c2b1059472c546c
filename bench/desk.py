"""The manager's desk at scale: each page's p50/p95 on PostgreSQL, against baselines.

Target: p95 ≤ 300 ms for every changelist page, the claim detail page and the
dashboard, as a store manager. Baselines in the same run: the same pages as a
superuser (every store), and as the manager without the indexes the desk adds.
`python -m bench --only desk --claims 1000000` measures at a million claims.
"""

from bench import harness

NAME = "desk"
DEFAULT_CLAIMS = 200_000
TARGET_P95_MS = 300.0
WHO = ("manager", "superuser", "manager, without the desk's indexes")


def run(*, claims: int = DEFAULT_CLAIMS, repeat: int = 20) -> harness.BenchResult:
    measured = harness.measure_in_process(
        NAME,
        "bench.desk_measure",
        ["--claims", str(claims), "--repeat", str(repeat)],
        shown=[("claims", str(claims))],
    )
    if isinstance(measured, harness.BenchResult):
        return measured
    return _report(measured)


def _report(measured: dict) -> harness.BenchResult:
    rows = [
        ("claims / attempts", f"{measured['claims']:,} / {measured['attempts']:,}"),
        ("generated in", f"{measured['generate_seconds']} s"),
        ("page (p50 / p95 ms)", " | ".join(WHO)),
    ]
    slow = []
    for label, timings in measured["pages"].items():
        cells = [f"{timings[who]['median_ms']:.0f} / {timings[who]['p95_ms']:.0f}" for who in WHO]
        rows.append((label, " | ".join(cells)))
        if timings["manager"]["p95_ms"] > TARGET_P95_MS:
            slow.append(label)
    for label, export in measured["export"].items():
        rows.append(
            (
                f"CSV export, {label}",
                f"{export['rows']:,} rows in {export['seconds']} s, peak {export['peak_mib']} MiB",
            )
        )
    verdict = (
        f"PASS: every page's p95 ≤ {TARGET_P95_MS:.0f} ms as a store manager"
        if not slow
        else f"FAIL: p95 above {TARGET_P95_MS:.0f} ms: {', '.join(slow)}"
    )
    return harness.BenchResult(NAME, rows, measured, verdict)
