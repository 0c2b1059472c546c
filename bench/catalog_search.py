"""Search as you type at scale: the Item step's catalog search on PostgreSQL, against baselines.

Target: p95 ≤ 50 ms per search at 100,000 variants in one store's catalog, through
the search endpoint as the tablet calls it. Baselines in the same run: the bare query
(the variants whose text contains the query, no store, no ranking, first 20), and
the endpoint without the trigram index. `python -m bench --only catalog_search
--claims N` measures at N variants (the option names claims for every bench).
"""

from bench import harness

NAME = "catalog_search"
DEFAULT_CLAIMS = 100_000  # variants
TARGET_P95_MS = 50.0
WHO = ("endpoint", "bare query", "endpoint, without the trigram index")


def run(*, claims: int = DEFAULT_CLAIMS, repeat: int = 3) -> harness.BenchResult:
    measured = harness.measure_in_process(
        NAME,
        "bench.catalog_search_measure",
        ["--variants", str(claims), "--repeat", str(repeat)],
        shown=[("variants", str(claims))],
    )
    if isinstance(measured, harness.BenchResult):
        return measured
    return _report(measured)


def _report(measured: dict) -> harness.BenchResult:
    rows = [
        ("variants / products", f"{measured['variants']:,} / {measured['products']:,}"),
        ("generated in", f"{measured['generate_seconds']} s"),
        ("queries × repeats", f"{measured['queries']} × {measured['repeat']}"),
        ("kind of query (p50 / p95 ms)", " | ".join(WHO)),
    ]
    for kind, timings in measured["by_kind"].items():
        cells = [f"{timings[who]['median_ms']:.1f} / {timings[who]['p95_ms']:.1f}" for who in WHO]
        rows.append((kind, " | ".join(cells)))
    overall = measured["overall"]
    cells = [f"{overall[who]['median_ms']:.1f} / {overall[who]['p95_ms']:.1f}" for who in WHO]
    rows.append(("all queries", " | ".join(cells)))
    p95 = overall["endpoint"]["p95_ms"]
    ratio = p95 / overall["bare query"]["p95_ms"]
    rows.append(("endpoint p95 / bare query p95", f"{ratio:.2f}×"))
    verdict = (
        f"PASS: search p95 {p95:.1f} ms ≤ {TARGET_P95_MS:.0f} ms"
        if p95 <= TARGET_P95_MS
        else f"FAIL: search p95 {p95:.1f} ms > {TARGET_P95_MS:.0f} ms"
    )
    return harness.BenchResult(NAME, rows, measured, verdict)
