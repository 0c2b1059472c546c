"""Importing a large catalog file: seconds and peak memory on PostgreSQL, against a baseline.

Target: a 100,000-variant file imports in well under a minute (goal: ≤ 60 s, as our CSV
and as a Shopify product CSV) in bounded memory: the import's peak (tracemalloc) at
10,000 and at 100,000 variants is about the same. The baseline, measured in the same
run, is reading the same file with the csv module alone. `python -m bench --only
catalog_import --claims N` imports N variants (the bench's "claims" are variants here).
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import harness

NAME = "catalog_import"
DEFAULT_CLAIMS = 100_000
SMALL = 10_000
TARGET_SECONDS = 60.0
# "Roughly flat": the peak at the full size within this factor of the peak at SMALL.
FLAT_FACTOR = 2.0


def run(*, claims: int = DEFAULT_CLAIMS) -> harness.BenchResult:
    with tempfile.TemporaryDirectory(prefix="claims-portal-catalog-") as directory:
        output = Path(directory) / "measured.json"
        command = [sys.executable, "-m", "bench.catalog_import_measure"]
        command += ["--variants", str(claims), "--small", str(min(SMALL, claims))]
        command += ["--json", str(output)]
        process = subprocess.run(command, cwd=harness.REPO_ROOT, check=False)
        if not output.exists():
            return harness.BenchResult(
                NAME,
                [("variants", str(claims))],
                {},
                "NOT MEASURED",
                [f"bench.catalog_import_measure exited with {process.returncode}"],
            )
        measured = json.loads(output.read_text())
    return _report(measured)


def _report(measured: dict) -> harness.BenchResult:
    rows = [("database", measured["database"])]
    errors, slow, growing = [], [], []
    for file_format, sizes in measured["formats"].items():
        for size, case in sizes.items():
            label = f"{file_format}, {int(size):,} variants"
            rows.append(
                (
                    f"{label}: import",
                    f"{case['import_seconds']} s ({case['time_ratio']}× the csv-only read of "
                    f"{case['baseline_seconds']} s), peak {case['import_peak_mib']} MiB "
                    f"(csv-only read {case['baseline_peak_mib']} MiB)",
                )
            )
            rows.append(
                (
                    f"{label}: again",
                    f"{case['again_seconds']} s: {case['again_summary']}",
                )
            )
            if not case["again_unchanged"]:
                errors.append(f"{label}: importing it again changed something")
            if case["refused"]:
                errors.append(f"{label}: {case['refused']} rows refused")
            if case["import_seconds"] > TARGET_SECONDS:
                slow.append(label)
        small, large = sizes[str(min(map(int, sizes)))], sizes[str(max(map(int, sizes)))]
        growth = large["import_peak_mib"] / max(small["import_peak_mib"], 0.01)
        rows.append((f"{file_format}: peak memory, largest / smallest", f"{growth:.2f}×"))
        if growth > FLAT_FACTOR:
            growing.append(file_format)
    verdict = (
        f"PASS: every import ≤ {TARGET_SECONDS:.0f} s, memory within {FLAT_FACTOR}× from "
        "the smallest file to the largest"
        if not slow and not growing
        else f"FAIL: slow {slow or 'none'}; memory growing {growing or 'none'}"
    )
    return harness.BenchResult(NAME, rows, measured, verdict, errors)
