"""A manager's decision on a claim's risk: "looks fine" or "suspicious", with the reason."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from kiosk.models import Claim, RiskDecision
from kiosk.risk.scoring import claim_risk_assess
from kiosk.risk.tasks import risk_reassess_queue


def risk_decide(*, claim: Claim, user: AbstractBaseUser, verdict: str, reason: str) -> RiskDecision:
    """Record the decision and assess the claim again at once.

    "Looks fine" quiets the signals the claim has now, for the claims they matched; the
    claims they matched are assessed again too (the pair is quieted on both sides).
    """
    with transaction.atomic():
        signals = list(claim.risk_signals.all())
        quieted = []
        if verdict == RiskDecision.Verdict.FINE:
            for signal in signals:
                quieted += [[signal.code, pk] for pk in signal.matched_claim_ids] or [
                    [signal.code, None]
                ]
        decision = RiskDecision.objects.create(
            claim=claim, verdict=verdict, reason=reason.strip(), decided_by=user, quieted=quieted
        )
        Claim.objects.filter(pk=claim.pk).update(risk_verdict=verdict)
    matched = claim_risk_assess(claim_pk=claim.pk)
    risk_reassess_queue(matched)
    claim.refresh_from_db()
    return decision
