"""Risk scoring: signals weighed into a level, a manager's "looks fine" quieting a pair,
and the database's Hamming distance between perceptual hashes (SQLite and PostgreSQL)."""

import json

import pytest
from django.utils import timezone

from kiosk.checks import check_risk_weights
from kiosk.models import Claim, RiskDecision, RiskSignal
from kiosk.risk import scoring
from kiosk.risk.decisions import risk_decide
from kiosk.risk.distance import signed_64
from kiosk.risk.findings import Finding
from kiosk.risk.photos import photos_alike
from kiosk.risk.scoring import claim_risk_assess, risk_level
from kiosk.services.submission import claim_build_payload
from tests.factories import ClaimFactory, UserFactory, hashed_photo

pytestmark = pytest.mark.django_db

WEIGHTS = {"photo_copy": 40, "repeat_claimant": 15, "price_mismatch": 20}


@pytest.fixture
def weights(settings):
    settings.RISK_WEIGHTS = WEIGHTS
    settings.RISK_HIGH_SCORE = 50
    settings.RISK_HIGH_MIN_SIGNALS = 2
    settings.RISK_MEDIUM_SCORE = 20


def submitted(**fields) -> Claim:
    return ClaimFactory(status=Claim.Status.FILED, submitted_at=timezone.now(), **fields)


def with_findings(monkeypatch, found: dict[int, list[Finding]]) -> None:
    """The finders replaced by one that returns these findings for each claim's pk."""
    monkeypatch.setattr(scoring, "FINDERS", (lambda claim: found.get(claim.pk, []),))


def test_high_only_when_several_signals_agree(weights):
    assert risk_level(score=80, signals=1) == Claim.RiskLevel.MEDIUM
    assert risk_level(score=55, signals=2) == Claim.RiskLevel.HIGH
    assert risk_level(score=19, signals=1) == Claim.RiskLevel.LOW


def test_signals_are_recorded_and_scored(weights, monkeypatch):
    claim, other = submitted(), submitted()
    with_findings(
        monkeypatch,
        {
            claim.pk: [
                Finding("photo_copy", {"kind": "item"}, (other.pk,)),
                Finding("price_mismatch", {"catalog_price": "100.00"}),
            ]
        },
    )
    assert claim_risk_assess(claim_pk=claim.pk) == {other.pk}
    claim.refresh_from_db()
    assert (claim.risk_score, claim.risk_level) == (60, Claim.RiskLevel.HIGH)
    signals = {s.code: s for s in claim.risk_signals.all()}
    assert signals["photo_copy"].matched_claim_ids == [other.pk]
    assert signals["price_mismatch"].detail == {"catalog_price": "100.00"}
    # Assessed again: replaced, not added to.
    claim_risk_assess(claim_pk=claim.pk)
    assert claim.risk_signals.count() == 2


def test_a_draft_is_not_assessed(weights, monkeypatch):
    draft = ClaimFactory()
    with_findings(monkeypatch, {draft.pk: [Finding("price_mismatch")]})
    assert claim_risk_assess(claim_pk=draft.pk) == set()
    draft.refresh_from_db()
    assert draft.risk_level == "" and not draft.risk_signals.exists()


def test_looks_fine_quiets_the_pair_on_both_sides_until_a_new_match(weights, monkeypatch):
    manager = UserFactory()
    claim, other, newcomer = submitted(), submitted(), submitted()
    found = {
        claim.pk: [Finding("photo_copy", {}, (other.pk,)), Finding("price_mismatch")],
        other.pk: [Finding("photo_copy", {}, (claim.pk,))],
    }
    with_findings(monkeypatch, found)
    claim_risk_assess(claim_pk=claim.pk)
    claim_risk_assess(claim_pk=other.pk)

    decision = risk_decide(
        claim=claim, user=manager, verdict=RiskDecision.Verdict.FINE, reason=" Same family. "
    )
    assert decision.reason == "Same family."
    assert sorted(decision.quieted, key=str) == [["photo_copy", other.pk], ["price_mismatch", None]]
    claim.refresh_from_db()
    assert (claim.risk_score, claim.risk_verdict) == (0, "fine")
    assert all(s.quieted_by == decision for s in claim.risk_signals.all())
    # The other side of the pair, when it is assessed again.
    claim_risk_assess(claim_pk=other.pk)
    assert other.risk_signals.get().quieted_by == decision

    # A claim matched for the first time brings the signal back.
    found[claim.pk][0] = Finding("photo_copy", {}, (other.pk, newcomer.pk))
    claim_risk_assess(claim_pk=claim.pk)
    claim.refresh_from_db()
    assert claim.risk_score == WEIGHTS["photo_copy"]
    assert claim.risk_signals.get(code="photo_copy").quieted_by is None


def test_suspicious_quiets_nothing(weights, monkeypatch):
    claim = submitted()
    with_findings(monkeypatch, {claim.pk: [Finding("price_mismatch")]})
    claim_risk_assess(claim_pk=claim.pk)
    risk_decide(
        claim=claim, user=UserFactory(), verdict=RiskDecision.Verdict.SUSPICIOUS, reason="Odd."
    )
    claim.refresh_from_db()
    assert (claim.risk_score, claim.risk_verdict) == (20, "suspicious")
    assert RiskSignal.objects.get(claim=claim).quieted_by is None


def test_the_database_counts_differing_bits_of_signed_hashes():
    claim, mine = submitted(), submitted()
    near = -(2**63) + 0b1011  # the sign bit set: stored as a negative bigint
    hashes = [near, near ^ 0b111, near ^ (1 << 63), 0x7FFFFFFFFFFFFFFF]
    for value in hashes:
        hashed_photo(claim, [signed_64(value)])
    alike = photos_alike(
        perceptual_hashes=[near], kinds=["item"], max_distance=3, exclude_claim_pk=mine.pk
    )
    assert [a.distance for a in alike] == [0, 1, 3]
    assert not photos_alike(
        perceptual_hashes=[near], kinds=["item"], max_distance=3, exclude_claim_pk=claim.pk
    ).exists()


def test_the_score_and_its_signals_are_never_sent(weights, monkeypatch, complete_claim):
    """The API documents no risk field: the body is the same before and after assessment."""
    claim = complete_claim
    claim.submitted_at = timezone.now()
    claim.save()
    before = json.dumps(claim_build_payload(claim=claim, media_base_url="http://m"), sort_keys=True)
    other = submitted()
    with_findings(
        monkeypatch, {claim.pk: [Finding("photo_copy", {}, (other.pk,)), Finding("price_mismatch")]}
    )
    claim_risk_assess(claim_pk=claim.pk)
    risk_decide(claim=claim, user=UserFactory(), verdict="suspicious", reason="Odd.")
    claim.refresh_from_db()
    assert claim.risk_level == Claim.RiskLevel.HIGH
    after = json.dumps(claim_build_payload(claim=claim, media_base_url="http://m"), sort_keys=True)
    assert after == before
    assert "risk" not in after.lower()


def test_a_signal_weighed_0_is_shown_and_not_counted(weights, settings, monkeypatch):
    settings.RISK_WEIGHTS = {**WEIGHTS, "repeat_claimant": 0}
    claim = submitted()
    found = [Finding("photo_copy"), Finding("repeat_claimant")]
    with_findings(monkeypatch, {claim.pk: found})
    claim_risk_assess(claim_pk=claim.pk)
    claim.refresh_from_db()
    # One signal counts: medium, not high, though both are on the record.
    assert (claim.risk_score, claim.risk_level) == (40, Claim.RiskLevel.MEDIUM)
    assert claim.risk_signals.count() == 2


def test_manage_py_check_refuses_unknown_and_missing_weights(settings):
    settings.RISK_WEIGHTS = {**settings.RISK_WEIGHTS, "bogus": 1}
    del settings.RISK_WEIGHTS["store_velocity"]
    (error,) = check_risk_weights(None)
    assert error.id == "kiosk.E005"
    assert "no weight: store_velocity" in error.msg and "no such signal: bogus" in error.msg
