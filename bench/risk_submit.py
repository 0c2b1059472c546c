"""The associate's wait at Submit with risk assessment queued, against it done inline.

Each claim has two phone-size photos (12 MP JPEGs, normalised on upload as the tablet's
are: an item and a receipt) and a signature. Its Submit is `claim_submit` against the
sandbox over real HTTP (which fetches every image from the portal), timed in three ways,
taken in turn so that the machine's load falls on each alike:

- without risk: the assessment is not queued at all (what Submit cost before risk);
- queued: as the portal does, the assessment is queued in Submit's transaction;
- inline (the baseline): the same Submit, then `claim_risk_assess` in the same request, so
  the associate waits for the photos' hashes and every finder.

Target: queued / without risk ≤ TARGET_RATIO at the median: queueing adds only the queue's
insert. The sandbox answers at once (LATENCY_MS), so the ratio is not diluted by a wait.
"""

import time
from typing import Any
from unittest import mock

from bench import harness

NAME = "risk_submit"
DEFAULT_CLAIMS = 20  # per way of submitting
LATENCY_MS = 0
TARGET_RATIO = 1.05
WAYS = ("without risk", "queued", "inline")


def run(*, claims: int = DEFAULT_CLAIMS) -> harness.BenchResult:
    """Submit `claims` claims each way (and one warm-up each), in turn."""
    from kiosk.models import ClaimAttachment

    harness.setup_django()
    errors: list[str] = []
    associate, store = harness.make_associate(username="risk-submit")
    rounds = [{way: _phone_claim(store, associate) for way in WAYS} for _ in range(claims + 1)]
    samples: dict[str, list[float]] = {way: [] for way in WAYS}
    with (
        harness.live_portal() as portal_url,
        harness.live_sandbox(latency_ms=LATENCY_MS) as sandbox,
        harness.portal_settings(portal_url=portal_url, sandbox_url=sandbox.url),
    ):
        for number, claims_of_round in enumerate(rounds):
            for way, claim in claims_of_round.items():
                elapsed_ms = _submit(way, claim, portal_url, errors)
                if number:  # the first round warms the caches
                    samples[way].append(elapsed_ms)
    photos = ClaimAttachment.objects.filter(
        claim__in=[claim for r in rounds[1:] for claim in r.values()],
        kind__in=[ClaimAttachment.Kind.ITEM, ClaimAttachment.Kind.RECEIPT],
    )
    sizes = sorted(set(photos.values_list("width", "height")))
    return _report(claims, samples, sizes, errors)


def _phone_claim(store: Any, associate: Any) -> Any:
    from kiosk.models import ClaimAttachment
    from tests.factories import ClaimFactory
    from tests.images import phone_photo, signature_png

    claim = ClaimFactory(store=store, created_by=associate)
    harness.attach(claim, ClaimAttachment.Kind.ITEM, phone_photo())
    harness.attach(
        claim, ClaimAttachment.Kind.RECEIPT, phone_photo(size=(3024, 4032), orientation=1)
    )
    harness.attach(claim, ClaimAttachment.Kind.SIGNATURE, signature_png())
    return claim


def _submit(way: str, claim: Any, portal_url: str, errors: list[str]) -> float:
    """One Submit; returns its milliseconds."""
    from kiosk.delivery.results import Result
    from kiosk.risk.scoring import claim_risk_assess
    from kiosk.services.submission import claim_submit

    started = time.perf_counter()
    if way == "without risk":
        with mock.patch("kiosk.services.submission.risk_assess_queue"):
            submission = claim_submit(claim=claim, media_base_url=portal_url)
    else:
        submission = claim_submit(claim=claim, media_base_url=portal_url)
        if way == "inline":
            claim_risk_assess(claim_pk=claim.pk)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if submission.result is not Result.FILED:
        errors.append(f"{way}: {claim.reference} {submission.result} ({claim.last_error})")
    return elapsed_ms


def _report(
    claims: int,
    samples: dict[str, list[float]],
    sizes: list[tuple[int, int]],
    errors: list[str],
) -> harness.BenchResult:
    summaries = {way: harness.Summary.of(samples[way]) for way in WAYS}
    base = summaries["without risk"]
    queued_ratio = summaries["queued"].median_ms / base.median_ms
    inline_ratio = summaries["inline"].median_ms / base.median_ms
    passed = queued_ratio <= TARGET_RATIO
    rows = [
        ("claims per way (sandbox latency)", f"{claims} ({LATENCY_MS} ms)"),
        ("stored photo sizes", ", ".join(f"{w}x{h}" for w, h in sizes)),
    ]
    for way in WAYS:
        summary = summaries[way]
        rows.append((f"{way}: median / p95", f"{summary.median_ms:.1f} / {summary.p95_ms:.1f} ms"))
    rows += [
        ("queued / without risk (median)", f"{queued_ratio:.3f}  (target <= {TARGET_RATIO})"),
        ("inline / without risk (median)", f"{inline_ratio:.3f}"),
        (
            "queueing adds (median)",
            f"{summaries['queued'].median_ms - base.median_ms:+.1f} ms",
        ),
        (
            "inline would add (median)",
            f"{summaries['inline'].median_ms - base.median_ms:+.1f} ms",
        ),
    ]
    verdict = (
        f"{'PASS' if passed else 'FAIL'}: queued Submit median / without risk = "
        f"{queued_ratio:.3f} (target <= {TARGET_RATIO}); inline would be {inline_ratio:.2f}x"
    )
    data = {
        "claims": claims,
        "latency_ms": LATENCY_MS,
        "target_ratio": TARGET_RATIO,
        "passed": passed,
        "photo_sizes": sizes,
        "ratio_queued": round(queued_ratio, 4),
        "ratio_inline": round(inline_ratio, 4),
        "ways": {way: summaries[way].to_dict() for way in WAYS},
        "samples_ms": {way: [round(s, 2) for s in samples[way]] for way in WAYS},
    }
    return harness.BenchResult(NAME, rows, data, verdict, errors)
