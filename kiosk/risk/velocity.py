"""Velocity: an associate's and a store's claims against the store's normal rate.

The window is the RISK_VELOCITY_DAYS up to the claim's submission (it included); the
baseline the RISK_VELOCITY_BASELINE_DAYS before that window. Counted in one query over the
store's submitted claims (index claim_store_submitted). A store too new to have a baseline
(no claim submitted in the baseline period) gives no velocity signal: it has no normal
rate yet to be far above.
"""

import datetime

from django.conf import settings
from django.db.models import Count, Q

from kiosk.models import Claim, RiskSignal
from kiosk.risk.findings import Finding


def velocity_findings(claim: Claim) -> list[Finding]:
    if claim.submitted_at is None:
        return []
    counts = _counts(claim)
    return associate_velocity(claim, counts=counts) + store_velocity(claim, counts=counts)


def associate_velocity(claim: Claim, *, counts: dict | None = None) -> list[Finding]:
    """The claim's associate submitted N claims at this store in the window, against the
    store's normal rate per associate (baseline claims / associates who submitted any in
    the baseline, per day) scaled to the window: a signal when N ≥ RISK_VELOCITY_MIN_CLAIMS
    and N ≥ RISK_VELOCITY_FACTOR × that.

    detail: {"claims": N, "expected": 1.2, "days": 7}.
    """
    counts = counts or _counts(claim)
    if not counts["baseline"]:
        return []
    per_associate = counts["baseline"] / counts["baseline_associates"]
    return _finding(RiskSignal.Code.ASSOCIATE_VELOCITY, counts["associate"], per_associate)


def store_velocity(claim: Claim, *, counts: dict | None = None) -> list[Finding]:
    """The store's claims in the window against its own baseline rate scaled to the window,
    by the same rule as associate_velocity. detail: {"claims": N, "expected": 4.7, "days": 7}.
    """
    counts = counts or _counts(claim)
    if not counts["baseline"]:
        return []
    return _finding(RiskSignal.Code.STORE_VELOCITY, counts["store"], counts["baseline"])


def _finding(code: str, claims: int, baseline_claims: float) -> list[Finding]:
    days = settings.RISK_VELOCITY_DAYS
    expected = baseline_claims / settings.RISK_VELOCITY_BASELINE_DAYS * days
    if (
        claims < settings.RISK_VELOCITY_MIN_CLAIMS
        or claims < settings.RISK_VELOCITY_FACTOR * expected
    ):
        return []
    return [Finding(code, {"claims": claims, "expected": round(expected, 1), "days": days})]


def _counts(claim: Claim) -> dict:
    """The store's and the associate's claims in the window [submitted - DAYS, submitted],
    and the store's in the baseline [window start - BASELINE_DAYS, window start)."""
    end = claim.submitted_at
    window_start = end - datetime.timedelta(days=settings.RISK_VELOCITY_DAYS)
    baseline_start = window_start - datetime.timedelta(days=settings.RISK_VELOCITY_BASELINE_DAYS)
    in_window = Q(submitted_at__gte=window_start)
    in_baseline = Q(submitted_at__lt=window_start)
    return Claim.objects.filter(
        store_id=claim.store_id, submitted_at__gte=baseline_start, submitted_at__lte=end
    ).aggregate(
        store=Count("pk", filter=in_window),
        associate=Count("pk", filter=in_window & Q(created_by_id=claim.created_by_id)),
        baseline=Count("pk", filter=in_baseline),
        baseline_associates=Count("created_by", filter=in_baseline, distinct=True),
    )
