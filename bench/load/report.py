"""The load run's figures: per kind of request from Locust's statistics and the request
log, the claims counted in the database and at the sandbox afterwards, and the verdict."""

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import percentile

# The targets of issue 21 (at 50 tablets; at 100, only that nothing collapses).
STEP_SAVE_P95_MS = 300.0
PHOTO_UPLOAD_P95_MS = 1500.0
TIMED_AT_TABLETS = 50
# Saves of a step's input: the autosaves and the save that moves to the next page.
STEP_SAVE_KINDS = ("step save", "step next")
SHOWN_KINDS = ("step save", "step next", "photo upload", "submit", "result", "step page")
SHOWN_KINDS += ("unlock", "start claim", "home", "unlock page", "lock")


@dataclass(frozen=True)
class KindStats:
    """One kind of request, as Locust counted it (its percentiles are rounded)."""

    kind: str
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    max_ms: float


def locust_stats(csv_prefix: Path) -> dict[str, KindStats]:
    """Read Locust's ``<prefix>_stats.csv`` back as numbers, per request name."""
    stats = {}
    with Path(f"{csv_prefix}_stats.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated" or not row["Request Count"]:
                continue
            stats[row["Name"]] = KindStats(
                kind=row["Name"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                p50_ms=_number(row["50%"]),
                p95_ms=_number(row["95%"]),
                max_ms=_number(row["Max Response Time"]),
            )
    return stats


def locust_failures(csv_prefix: Path) -> list[str]:
    path = Path(f"{csv_prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [
            f"{row['Occurrences']} x {row['Name']}: {row['Error']}"
            for row in csv.DictReader(handle)
        ]


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def request_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def p95_of(entries: list[dict], kinds: tuple[str, ...], start: float = 0, end: float = 2e9):
    """p95 (ms) of the successful requests of ``kinds`` that ended between start and end."""
    samples = [e["ms"] for e in entries if e["kind"] in kinds and start <= e["t"] <= end]
    return (percentile(samples, 95), len(samples)) if samples else (None, 0)


@dataclass
class ClaimCheck:
    """What the database and the sandbox say after the run."""

    submitted: int = 0  # submits the tablets saw accepted
    in_database: int = 0  # claims past the draft
    by_status: dict[str, int] = field(default_factory=dict)
    needs_attention: dict[str, int] = field(default_factory=dict)
    filed: int = 0
    at_sandbox: int = 0
    filed_missing_at_sandbox: int = 0
    duplicates: int = 0
    still_queued: int = 0
    attention: list[str] = field(default_factory=list)  # why, per claim needing attention

    @property
    def lost(self) -> int:
        return max(0, self.submitted - self.in_database) + self.filed_missing_at_sandbox

    @property
    def rejected(self) -> int:
        return self.needs_attention.get("rejected", 0)

    def errors(self) -> list[str]:
        errors = []
        if self.lost:
            errors.append(f"{self.lost} claims lost (submitted but not in the database, or")
            errors[-1] += " filed here but not at the sandbox)"
        if self.duplicates:
            errors.append(f"{self.duplicates} claims filed more than once at the sandbox")
        if self.at_sandbox != self.filed:
            errors.append(f"{self.filed} filed here but {self.at_sandbox} at the sandbox")
        for reason, count in self.needs_attention.items():
            errors.append(f"{count} claims need attention ({reason or 'no reason'})")
        errors += [f"needs attention: {why}" for why in self.attention[:5]]
        return errors


def claim_check(*, counts: dict, sandbox_claims: dict, sandbox_keys: dict, submitted: int):
    """Compare the database's claims with the sandbox's (bench.load.seed count's JSON)."""
    check = ClaimCheck(submitted=submitted, attention=counts.get("attention", []))
    for row in counts["by_status"]:
        if row["status"] == "draft":
            continue
        check.in_database += row["count"]
        check.by_status[row["status"]] = check.by_status.get(row["status"], 0) + row["count"]
        if row["status"] == "needs_attention":
            check.needs_attention[row["reason"]] = row["count"]
    check.filed = check.by_status.get("filed", 0)
    check.still_queued = sum(
        check.by_status.get(status, 0) for status in ("queued", "sending", "outcome_unknown")
    )
    check.at_sandbox = len(sandbox_claims)
    check.filed_missing_at_sandbox = sum(
        1 for number in counts["filed_numbers"] if number not in sandbox_claims
    )
    # A claim sent twice is filed twice under the same Idempotency-Key (the API, as
    # documented, ignores it), and with the same customer e-mail (one per claim here).
    by_key = Counter(key for key in sandbox_keys.values() if key)
    by_email = Counter(body["customer"]["email"] for body in sandbox_claims.values())
    check.duplicates = max(
        sum(n - 1 for n in by_key.values() if n > 1),
        sum(n - 1 for n in by_email.values() if n > 1),
    )
    return check
