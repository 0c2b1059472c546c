"""A claim's risk score: its signals found afresh, weighed, and quieted by managers' decisions.

Run in the background (kiosk.risk.tasks) after a claim is submitted, and again for the
claims a new one matches, so that an older claim learns of the newer one.
"""

from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kiosk.models import Claim, RiskDecision, RiskSignal
from kiosk.risk.consistency import consistency_findings
from kiosk.risk.findings import Finding
from kiosk.risk.hashes import claim_photos_hash
from kiosk.risk.identity import identity_findings
from kiosk.risk.photos import photo_findings
from kiosk.risk.velocity import velocity_findings

FINDERS: tuple[Callable[[Claim], list[Finding]], ...] = (
    photo_findings,
    identity_findings,
    consistency_findings,
    velocity_findings,
)


def claim_risk_assess(*, claim_pk: int) -> set[int]:
    """Find, weigh and record one submitted claim's signals afresh, and its score.

    Returns the other claims its signals matched that would find this one back (to assess
    again: such a match goes both ways). A draft is not assessed. Clears the claim's
    queued re-assessment mark first (kiosk.risk.tasks): a claim matched from then on is
    queued again, since this run may have read too early to find it.
    """
    Claim.objects.filter(pk=claim_pk, risk_queued_at__isnull=False).update(risk_queued_at=None)
    claim = Claim.objects.select_related("store", "catalog_variant__product").get(pk=claim_pk)
    if claim.submitted_at is None:
        return set()
    claim_photos_hash(claim=claim)
    findings = [finding for finder in FINDERS for finding in finder(claim)]
    quiets = _quiets(claim, findings)
    signals = [_signal(claim, finding, quiets) for finding in findings]
    # A weight of 0 (RISK_WEIGHTS) shows the signal and never counts it.
    counted = [signal for signal in signals if signal.quieted_by is None and signal.weight]
    score = sum(signal.weight for signal in counted)
    with transaction.atomic():
        # One assessment of a claim at a time: two workers' would mix their signals.
        Claim.objects.select_for_update().filter(pk=claim.pk).exists()
        RiskSignal.objects.filter(claim=claim).delete()
        RiskSignal.objects.bulk_create(signals)
        Claim.objects.filter(pk=claim.pk).update(
            risk_score=score,
            risk_level=risk_level(score=score, signals=len(counted)),
            risk_scored_at=timezone.now(),
        )
    reciprocal = [finding for finding in findings if finding.reciprocal]
    return {pk for finding in reciprocal for pk in finding.matched_claim_ids} - {claim.pk}


def risk_level(*, score: int, signals: int) -> str:
    """High only when several signals agree; a single one, however strong, is medium."""
    if score >= settings.RISK_HIGH_SCORE and signals >= settings.RISK_HIGH_MIN_SIGNALS:
        return Claim.RiskLevel.HIGH
    if score >= settings.RISK_MEDIUM_SCORE:
        return Claim.RiskLevel.MEDIUM
    return Claim.RiskLevel.LOW


def _signal(claim: Claim, finding: Finding, quiets: dict) -> RiskSignal:
    if finding.matched_claim_ids:
        quieted_by = [quiets.get((finding.code, pk)) for pk in finding.matched_claim_ids]
        # Quiet only while every claim it matches was found fine: a new match counts.
        decision = max(quieted_by, key=lambda d: d.decided_at) if all(quieted_by) else None
    else:
        decision = quiets.get((finding.code, None))
    return RiskSignal(
        claim=claim,
        code=finding.code,
        weight=settings.RISK_WEIGHTS[finding.code],
        detail=finding.detail,
        matched_claim_ids=sorted(finding.matched_claim_ids),
        quieted_by=decision,
    )


def _quiets(claim: Claim, findings: list[Finding]) -> dict[tuple[str, int | None], RiskDecision]:
    """(code, other claim) pairs a manager found fine, on this claim or on the other one."""
    others = {pk for finding in findings for pk in finding.matched_claim_ids}
    decisions = RiskDecision.objects.filter(verdict=RiskDecision.Verdict.FINE).filter(
        Q(claim=claim) | Q(claim_id__in=others)
    )
    quiets: dict[tuple[str, int | None], RiskDecision] = {}
    for decision in decisions.order_by("decided_at", "pk"):
        for code, other in decision.quieted:
            if decision.claim_id == claim.pk:
                quiets[(code, other)] = decision
            elif other == claim.pk:
                quiets[(code, decision.claim_id)] = decision
    return quiets
