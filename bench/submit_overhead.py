"""Submit overhead: what the portal adds on top of the API call when a claim is filed.

End to end: a logged-in associate POSTs ``/claims/<reference>/submit/`` (Django test
client) and waits for the redirect to the result page. That request builds the payload,
validates it against the JSON Schema, writes the audit rows and POSTs to the sandbox,
which answers after ``LATENCY_MS`` and fetches every image from the portal over HTTP.

Baseline: ``requests.post`` of the same payloads to the sandbox, with the same latency
and the same image fetches; nothing else.
"""

import time
from typing import Any

import requests

from bench import harness

NAME = "submit_overhead"
LATENCY_MS = 200
TARGET_RATIO = 1.15  # end-to-end median / configured sandbox latency
WARMUP = 3
DEFAULT_CLAIMS = 60
HTTP_TIMEOUT = 10.0


def run(*, claims: int = DEFAULT_CLAIMS) -> harness.BenchResult:
    """Run the benchmark with ``claims`` measured submissions and as many baseline calls."""
    from django.test import Client

    from kiosk.models import Claim

    harness.setup_django()
    errors: list[str] = []
    associate, store = harness.make_associate(username="submit-overhead")
    warmup_claims = harness.make_complete_claims(store=store, associate=associate, count=WARMUP)
    measured = harness.make_complete_claims(store=store, associate=associate, count=claims)
    client = Client()
    client.force_login(associate)

    with (
        harness.live_portal() as portal_url,
        harness.live_sandbox(latency_ms=LATENCY_MS) as sandbox,
        harness.portal_settings(portal_url=portal_url, sandbox_url=sandbox.url),
    ):
        _check_media_served(measured[0], portal_url)

        for claim in warmup_claims:
            _submit(client, claim, errors)
        sandbox.reset()
        sandbox.set_faults(latency_ms=LATENCY_MS)

        end_to_end_ms = [_submit(client, claim, errors) for claim in measured]
        errors += _check_filed(measured, sandbox)
        api_call_ms = [
            attempt.duration_ms
            for claim in Claim.objects.filter(pk__in=[c.pk for c in measured])
            for attempt in claim.attempts.all()
            if attempt.duration_ms is not None
        ]

        payloads = [
            claim.request_payload
            for claim in Claim.objects.filter(pk__in=[c.pk for c in measured]).order_by("pk")
            if claim.request_payload
        ]
        if not payloads:
            errors.append("no claim was filed, so there is no payload for the baseline")
            payloads = [{}]
        claims_url = sandbox.url + "/v1/claims/offline"
        for payload in payloads[:WARMUP]:
            _post_raw(claims_url, payload, errors)
        baseline_ms = [
            _post_raw(claims_url, payloads[i % len(payloads)], errors) for i in range(claims)
        ]

    return _report(claims, end_to_end_ms, baseline_ms, api_call_ms, errors)


def _check_media_served(claim: Any, portal_url: str) -> None:
    """Fail early, and clearly, if the sandbox could not fetch the portal's images."""
    from kiosk.services.attachments import attachment_public_url

    url = attachment_public_url(attachment=claim.attachments.first(), media_base_url=portal_url)
    response = requests.get(url, timeout=HTTP_TIMEOUT)
    if response.status_code != 200:
        raise RuntimeError(f"the portal does not serve its media: GET {url} -> {response}")


def _submit(client: Any, claim: Any, errors: list[str]) -> float:
    """POST the claim's submit URL as the associate; returns milliseconds to the response."""
    from django.urls import reverse

    url = reverse("kiosk:claim-submit", kwargs={"reference": claim.reference})
    started = time.perf_counter()
    response = client.post(url)
    elapsed_ms = (time.perf_counter() - started) * 1000
    expected = reverse("kiosk:claim-result", kwargs={"reference": claim.reference})
    if response.status_code != 302 or response.headers.get("Location") != expected:
        location = response.headers.get("Location", "")
        errors.append(f"{claim.reference}: submit answered {response.status_code} {location}")
    return elapsed_ms


def _check_filed(claims: list[Any], sandbox: Any) -> list[str]:
    """Every claim filed, and the sandbox received and accepted exactly one per claim."""
    errors = []
    for claim in claims:
        claim.refresh_from_db()
        if claim.status != claim.Status.FILED:
            errors.append(f"{claim.reference}: status {claim.status!r} ({claim.last_error})")
    received = sandbox.received
    accepted = [r for r in received if r.response_status in (200, 201)]
    if len(received) != len(claims) or len(accepted) != len(claims):
        errors.append(
            f"sandbox received {len(received)} claim requests and accepted {len(accepted)}; "
            f"expected {len(claims)} ({len(claims) - len(accepted)} lost)"
        )
    filed_ids = {claim.claim_number for claim in claims if claim.claim_number}
    if filed_ids != set(sandbox.claims):
        errors.append("the claim numbers in the portal differ from the sandbox's")
    return errors


def _post_raw(url: str, payload: dict, errors: list[str]) -> float:
    """The bare API call, as the portal's client makes it; returns milliseconds."""
    started = time.perf_counter()
    response = requests.post(
        url,
        json=payload,
        headers={"Authorization": f"Bearer {harness.SANDBOX_TOKEN}", "Accept": "application/json"},
        timeout=HTTP_TIMEOUT,
    )
    elapsed_ms = (time.perf_counter() - started) * 1000
    if response.status_code not in (200, 201):
        errors.append(f"baseline call answered {response.status_code}: {response.text[:200]}")
    return elapsed_ms


def _report(
    claims: int,
    end_to_end_ms: list[float],
    baseline_ms: list[float],
    api_call_ms: list[float],
    errors: list[str],
) -> harness.BenchResult:
    end_to_end = harness.Summary.of(end_to_end_ms)
    baseline = harness.Summary.of(baseline_ms)
    over_latency = end_to_end.median_ms / LATENCY_MS
    over_baseline = end_to_end.median_ms / baseline.median_ms
    # The portal's client times its own HTTP call (whole ms) for the audit row.
    api_call = harness.Summary.of(api_call_ms) if api_call_ms else None
    in_portal = end_to_end.median_ms - api_call.median_ms if api_call else None
    passed = over_latency <= TARGET_RATIO
    verdict = (
        f"{'PASS' if passed else 'FAIL'}: end-to-end median / sandbox latency = "
        f"{over_latency:.3f} (target <= {TARGET_RATIO})"
    )
    rows = [
        ("claims (sandbox latency)", f"{claims} ({LATENCY_MS} ms)"),
        ("end-to-end median / p95", f"{end_to_end.median_ms:.1f} / {end_to_end.p95_ms:.1f} ms"),
        ("baseline median / p95", f"{baseline.median_ms:.1f} / {baseline.p95_ms:.1f} ms"),
        ("e2e median / latency", f"{over_latency:.3f}  (target <= {TARGET_RATIO})"),
        ("e2e median / baseline median", f"{over_baseline:.3f}"),
    ]
    if api_call is not None and in_portal is not None:
        rows.append(("API call median (audit row)", f"{api_call.median_ms:.0f} ms"))
        rows.append(("portal outside the call", f"~{in_portal:.1f} ms (median difference)"))
    rows.append(("lost / errors", f"{len(errors)}"))
    data = {
        "claims": claims,
        "warmup": WARMUP,
        "latency_ms": LATENCY_MS,
        "target_ratio": TARGET_RATIO,
        "passed": passed,
        "end_to_end": end_to_end.to_dict(),
        "baseline": baseline.to_dict(),
        "api_call_in_portal": api_call.to_dict() if api_call else None,
        "ratio_to_latency": round(over_latency, 4),
        "ratio_to_baseline": round(over_baseline, 4),
        "samples_ms": {
            "end_to_end": [round(s, 2) for s in end_to_end_ms],
            "baseline": [round(s, 2) for s in baseline_ms],
        },
    }
    return harness.BenchResult(name=NAME, rows=rows, data=data, verdict=verdict, errors=errors)
