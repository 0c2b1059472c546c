"""Risk at the desk: the list's column and filter, the claim's Risk card in words with
links only to claims the manager may see, the decision, its timeline entry, and the CSV."""

import datetime
import html
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kiosk.admin.risk_words import MatchedClaims, signal_sentence
from kiosk.models import Claim, RiskDecision, RiskSignal
from kiosk.risk import scoring
from kiosk.risk.findings import Finding
from tests.factories import ClaimFactory, RiskSignalFactory, StoreFactory, UserFactory
from tests.test_admin import as_user, csv_rows, download_export, filed, manager_of

CHANGELIST = "admin:kiosk_claim_changelist"


@pytest.fixture
def desk(db):
    """Two stores, a manager of each, a superuser, and a claim at each store."""

    class Desk:
        store_a = StoreFactory(name="Uptown", source_store_id="store_a")
        store_b = StoreFactory(name="Harbour", source_store_id="store_b")
        manager_a = manager_of(store_a, "manager_a")
        manager_b = manager_of(store_b, "manager_b")
        superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
        claim_a = filed(store_a, "SB-1111-1111", customer_email="alice@example.com")
        claim_b = filed(store_b, "SB-2222-2222", customer_email="bob@example.com")

    return Desk


def change_url(claim: Claim) -> str:
    return reverse("admin:kiosk_claim_change", args=[claim.pk])


def decide_url(claim: Claim) -> str:
    return reverse("admin:kiosk_claim_risk_decide", args=[claim.pk])


def scored(claim: Claim, level: str, score: int, **fields) -> Claim:
    Claim.objects.filter(pk=claim.pk).update(
        risk_level=level, risk_score=score, risk_scored_at=timezone.now(), **fields
    )
    claim.refresh_from_db()
    return claim


def text_of(response) -> str:
    """The page's text, tags removed and spaces collapsed."""
    page = response.content.decode()
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture
def no_finders(monkeypatch):
    """Assessment finds what the test says (the finders are other modules' concern)."""
    found: dict[int, list[Finding]] = {}
    monkeypatch.setattr(scoring, "FINDERS", (lambda claim: found.get(claim.pk, []),))
    monkeypatch.setattr(scoring, "claim_photos_hash", lambda *, claim: 0)
    return found


# -- the list ----------------------------------------------------------------------------


def test_the_list_shows_the_level_with_the_score_and_not_scored_yet(client, desk):
    scored(desk.claim_a, "high", 75)
    other = scored(filed(desk.store_a, "SB-3333-3333"), "low", 0, risk_verdict="fine")
    as_user(client, desk.manager_a)

    page = text_of(client.get(reverse(CHANGELIST)))

    assert "High (75)" in page
    assert "Low (0) Marked: Looks fine" in page
    unscored = filed(desk.store_a, "SB-4444-4444")
    page = text_of(client.get(reverse(CHANGELIST)))
    assert "Not scored yet" in page
    assert other.claim_number in page and unscored.claim_number in page


def test_the_risk_column_sorts_by_score_with_unscored_last_both_ways(client, desk):
    low = scored(filed(desk.store_a, "SB-LOW"), "low", 5)
    high = scored(desk.claim_a, "high", 90)
    unscored = filed(desk.store_a, "SB-NONE")
    as_user(client, desk.manager_a)
    # A manager of one store: no store column, so Risk is the third column.
    columns = client.get(reverse(CHANGELIST)).context["cl"].list_display
    risk_column = columns.index("risk_shown")

    def order(direction: str) -> list[int]:
        response = client.get(reverse(CHANGELIST), {"o": f"{direction}{risk_column}"})
        return [claim.pk for claim in response.context["cl"].result_list]

    assert order("") == [unscored.pk, low.pk, high.pk]
    assert order("-") == [high.pk, low.pk, unscored.pk]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("high", {"high"}),
        ("medium", {"medium"}),
        ("low", {"low", "low fine"}),
        ("none", {"unscored"}),
        ("suspicious", {"medium"}),
        ("fine", {"low fine"}),
    ],
)
def test_the_risk_filter(client, desk, value, expected):
    claims = {
        "high": scored(desk.claim_a, "high", 80),
        "medium": scored(filed(desk.store_a, "M-1"), "medium", 30, risk_verdict="suspicious"),
        "low": scored(filed(desk.store_a, "L-1"), "low", 0),
        "low fine": scored(filed(desk.store_a, "L-2"), "low", 0, risk_verdict="fine"),
        "unscored": filed(desk.store_a, "U-1"),
    }
    as_user(client, desk.manager_a)

    response = client.get(reverse(CHANGELIST), {"risk": value})

    listed = {claim.pk for claim in response.context["cl"].result_list}
    assert listed == {claims[name].pk for name in expected}


def test_a_risk_filter_value_of_its_own_is_refused(client, desk):
    scored(desk.claim_a, "high", 80)
    as_user(client, desk.manager_a)

    response = client.get(reverse(CHANGELIST), {"risk": "extreme"})

    assert list(response.context["cl"].result_list) == []
    assert "is not one of its choices" in text_of(response)


def test_the_risk_column_and_filter_add_no_query(client, desk):
    for number in range(30):
        claim = filed(desk.store_a, f"Q-{number:02d}")
        scored(claim, "medium", 30, risk_verdict="suspicious" if number % 2 else "")
        RiskSignalFactory(claim=claim)
    as_user(client, desk.manager_a)
    client.get(reverse(CHANGELIST))  # warm: session, permissions

    def queries(**params) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse(CHANGELIST), params)
        assert len(response.context["cl"].result_list) > 0
        return len(captured)

    unfiltered = queries()
    assert queries(risk="medium") == unfiltered
    assert queries(risk="suspicious") == unfiltered
    # Measured before the Risk column existed: 14 queries on SQLite for this list.
    if connection.vendor == "sqlite":
        assert unfiltered == 14


# -- the words ---------------------------------------------------------------------------

VISIBLE = MatchedClaims({1: "OP-123", 2: "R-ABCDEFGH"})


def sentence(code: str, detail, matched=()) -> str:
    signal = RiskSignal(code=code, weight=10, detail=detail, matched_claim_ids=list(matched))
    return html.unescape(re.sub(r"<[^>]+>", "", str(signal_sentence(signal, VISIBLE))))


@pytest.mark.parametrize(
    "code, detail, matched, words",
    [
        (
            "photo_copy",
            {"kind": "receipt", "matches": [{"claim": 1, "distance": 0, "exact": True}]},
            [1],
            "The receipt photo is an exact copy of the one on OP-123.",
        ),
        (
            "photo_copy",
            {"kind": "item", "matches": [{"claim": 1, "distance": 0, "exact": True}]},
            [1, 9],
            "An item photo is an exact copy of one on OP-123.",
        ),
        (
            "photo_lookalike",
            {"kind": "item", "matches": [{"claim": 2, "distance": 4}], "nearest": 4},
            [2],
            "An item photo looks like one on R-ABCDEFGH "
            "(4 of 64 points differ; 0 would be the same photo).",
        ),
        (
            "receipt_reuse",
            {"kind": "receipt", "matches": [{"claim": 1, "distance": 6, "exact": False}]},
            [1],
            "The same receipt was already used on OP-123: its photo looks alike, "
            "and the store and date of purchase are the same.",
        ),
        (
            "repeat_claimant",
            {
                "windows": [
                    {"days": 30, "store": 1, "chain": 2},
                    {"days": 90, "store": 1, "chain": 2},
                    {"days": 365, "store": 3, "chain": 5},
                ],
                "by": ["email", "phone"],
            },
            [1, 7, 8],
            "2 other claims with this email or phone in the last 30 days (1 at this store), "
            "5 in 365 days. Claims: OP-123 and 2 claims at stores you do not manage.",
        ),
        (
            "shared_identity",
            {"shared": ["phone", "address"]},
            [7],
            "A different customer has the same phone number and shipping address on "
            "1 claim at a store you do not manage.",
        ),
        (
            "purchase_in_future",
            {"date_of_purchase": "2026-12-24", "submitted_on": "2026-12-06"},
            [],
            "The date of purchase, Dec 24, 2026, is after the day the claim was submitted "
            "(Dec 6, 2026).",
        ),
        (
            "purchase_before_catalog",
            {"date_of_purchase": "2020-01-02", "in_catalog_since": "2023-05-01"},
            [],
            "The date of purchase, Jan 2, 2020, is before the product was in the catalog "
            "(May 1, 2023).",
        ),
        (
            "outside_warranty",
            {"reason": "Manager approved", "warranty_end": "2025-03-01"},
            [],
            "The warranty ended on Mar 1, 2025, before the claim was filed. "
            "Reason given: Manager approved",
        ),
        (
            "price_mismatch",
            {"item_price": "19.99", "catalog_price": "249.99", "deviation": 0.92},
            [],
            "Price paid $19.99 is 92 % below the catalog's $249.99.",
        ),
        (
            "price_mismatch",
            {"item_price": "500.00", "catalog_price": "249.99"},
            [],
            "Price paid $500.00 is 100 % above the catalog's $249.99.",
        ),
        (
            "item_other_customer",
            {"source_item_id": "ITEM-77"},
            [2],
            "The same item (ITEM-77) was claimed by a different customer on R-ABCDEFGH.",
        ),
        (
            "associate_velocity",
            {"claims": 12, "expected": 2.5, "days": 7},
            [],
            "The associate filed 12 claims in the last 7 days; "
            "about 2.5 would be usual at this store.",
        ),
        (
            "store_velocity",
            {"claims": 40, "expected": 9, "days": 7},
            [],
            "The store filed 40 claims in the last 7 days; about 9.0 would be usual.",
        ),
    ],
)
def test_each_signal_in_words(code, detail, matched, words):
    assert sentence(code, detail, matched) == words


# Those two need no detail: the claims they matched say it all.
MATCHES_ENOUGH = {
    "receipt_reuse": "The same receipt was already used on OP-123: its photo looks alike, "
    "and the store and date of purchase are the same.",
    "item_other_customer": "The same item was claimed by a different customer on OP-123.",
}


@pytest.mark.parametrize("code", sorted(set(RiskSignal.Code.values) - set(MATCHES_ENOUGH)))
@pytest.mark.parametrize("detail", [{}, {"kind": 3, "windows": "x", "shared": None}, "text"])
def test_an_unexpected_detail_falls_back_to_the_label(code, detail):
    label = str(RiskSignal.Code(code).label)

    words = sentence(code, detail, [1])

    assert words == f"{label}: OP-123."


@pytest.mark.parametrize("code", list(MATCHES_ENOUGH))
@pytest.mark.parametrize("detail", [{}, {"matches": "x", "item": None}, "text"])
def test_a_match_alone_is_enough_for_some_signals(code, detail):
    assert sentence(code, detail, [1]) == MATCHES_ENOUGH[code]
    assert sentence(code, detail, []) == f"{RiskSignal.Code(code).label}."


def test_an_unknown_code_is_named_as_it_is():
    assert sentence("moon_phase", {"phase": "full"}) == "moon_phase."


def test_a_window_without_a_store_count_still_reads():
    words = sentence("repeat_claimant", {"windows": [{"days": 30, "chain": 1}], "by": ["phone"]})

    assert words == "1 other claim with this phone number in the last 30 days."


# -- the Risk card -----------------------------------------------------------------------


def test_the_card_links_the_managers_claims_and_only_counts_the_others(client, desk):
    mine = filed(desk.store_a, "SB-5555-5555")
    claim = scored(desk.claim_a, "high", 80)
    RiskSignalFactory(
        claim=claim,
        code="receipt_reuse",
        weight=50,
        detail={
            "kind": "receipt",
            "matches": [
                {"claim": mine.pk, "distance": 0, "exact": True},
                {"claim": desk.claim_b.pk, "distance": 2, "exact": False},
            ],
            "nearest": 0,
        },
        matched_claim_ids=[mine.pk, desk.claim_b.pk],
    )
    as_user(client, desk.manager_a)

    response = client.get(change_url(claim))

    page = response.content.decode()
    assert f'<a href="{change_url(mine)}">SB-5555-5555</a>' in page
    assert (
        "The same receipt was already used on SB-5555-5555 and 1 claim at a store you do not manage"
        in text_of(response)
    )
    assert desk.claim_b.claim_number not in page
    assert change_url(desk.claim_b) not in page
    assert desk.claim_b.customer_email not in page
    # The other store's manager sees the same signal the other way round.
    other = scored(desk.claim_b, "medium", 50)
    RiskSignalFactory(
        claim=other,
        code="receipt_reuse",
        weight=50,
        detail={"kind": "receipt", "matches": [{"claim": claim.pk, "exact": True}]},
        matched_claim_ids=[claim.pk],
    )
    as_user(client, desk.manager_b)
    page = text_of(client.get(change_url(other)))
    assert "already used on 1 claim at a store you do not manage" in page
    assert claim.claim_number not in page


def test_a_superuser_gets_every_matched_claim_linked(client, desk):
    claim = scored(desk.claim_a, "medium", 30)
    RiskSignalFactory(
        claim=claim,
        code="shared_identity",
        weight=30,
        detail={"shared": ["email", "phone"]},
        matched_claim_ids=[desk.claim_b.pk],
    )
    as_user(client, desk.superuser)

    response = client.get(change_url(claim))

    assert f'<a href="{change_url(desk.claim_b)}">SB-2222-2222</a>' in response.content.decode()
    assert "same email and phone number on SB-2222-2222" in text_of(response)


def test_the_card_shows_the_level_score_and_a_signal_whose_detail_is_unexpected(client, desk):
    claim = scored(desk.claim_a, "medium", 35)
    RiskSignalFactory(claim=claim, code="price_mismatch", weight=20, detail={"item_price": None})
    RiskSignalFactory(claim=claim, code="outside_warranty", weight=15, detail={"surprise": 1})
    as_user(client, desk.manager_a)

    response = client.get(change_url(claim))

    assert response.status_code == 200
    page = text_of(response)
    assert "Medium (35)" in page
    assert "Price far from the catalog's (+20) Price far from the catalog's." in page
    assert "Filed outside the warranty (+15) Filed outside the warranty." in page


def test_not_scored_yet_says_so(client, desk):
    as_user(client, desk.manager_a)

    page = text_of(client.get(change_url(desk.claim_a)))

    assert "Not scored yet The check runs in the background" in page


def test_a_quieted_signal_shows_who_quieted_it_when_and_why(client, desk):
    claim = scored(desk.claim_a, "low", 0, risk_verdict="fine")
    decision = RiskDecision.objects.create(
        claim=claim,
        verdict="fine",
        reason="Same customer, two kettles",
        decided_by=desk.manager_a,
        decided_at=timezone.make_aware(datetime.datetime(2026, 3, 4, 10, 30)),
        quieted=[["repeat_claimant", desk.claim_b.pk]],
    )
    RiskSignalFactory(
        claim=claim,
        code="repeat_claimant",
        weight=15,
        detail={"windows": [{"days": 30, "store": 0, "chain": 1}], "by": ["email"]},
        matched_claim_ids=[desk.claim_b.pk],
        quieted_by=decision,
    )
    as_user(client, desk.manager_a)

    response = client.get(change_url(claim))

    quieted = response.content.decode().split('data-testid="risk-quieted"')[1].split("</ul>")[0]
    assert "Repeat claimant" in quieted
    assert "“Looks fine” by manager_a on Mar 4, 2026" in quieted
    assert "Same customer, two kettles" in quieted
    assert 'data-testid="risk-signals"' not in response.content.decode()
    assert "No signal counts against this claim." in text_of(response)


# -- the decision ------------------------------------------------------------------------


def test_a_manager_decides_and_the_decision_is_on_the_card_and_in_the_history(
    client, desk, no_finders
):
    claim = desk.claim_a
    no_finders[claim.pk] = [Finding("price_mismatch", {"item_price": "1", "catalog_price": "9"})]
    scoring.claim_risk_assess(claim_pk=claim.pk)
    as_user(client, desk.manager_a)

    response = client.post(decide_url(claim), {"verdict": "fine", "reason": " Known buyer "})

    assert response.status_code == 302
    assert response.url == change_url(claim) + "#risk"
    decision = RiskDecision.objects.get(claim=claim)
    assert (decision.verdict, decision.reason, decision.decided_by) == (
        "fine",
        "Known buyer",
        desk.manager_a,
    )
    claim.refresh_from_db()
    assert (claim.risk_verdict, claim.risk_score) == ("fine", 0)
    page = text_of(client.get(response.url))
    assert "Your decision is recorded: “Looks fine”. Risk now: Low." in page
    assert "Looks fine — manager_a," in page
    assert "(quieted)" in page
    history = text_of(client.get(reverse("admin:kiosk_claim_history", args=[claim.pk])))
    assert "Risk: “Looks fine” — manager_a: Known buyer" in history


def test_a_decision_without_a_reason_is_not_recorded_and_says_why(client, desk, no_finders):
    scored(desk.claim_a, "medium", 30)
    as_user(client, desk.manager_a)

    response = client.post(decide_url(desk.claim_a), {"verdict": "suspicious", "reason": "  "})

    assert response.status_code == 400
    assert not RiskDecision.objects.exists()
    page = text_of(response)
    assert "Your decision was not recorded: see the Risk box." in page
    assert "Say why, for the record." in page
    page = response.content.decode()
    assert re.search(r'value="suspicious"[^>]*checked|checked[^>]*value="suspicious"', page)
    assert 'aria-invalid="true"' in page


def test_a_decision_needs_a_verdict(client, desk, no_finders):
    as_user(client, desk.manager_a)

    response = client.post(decide_url(desk.claim_a), {"reason": "Because"})

    assert response.status_code == 400
    assert "Choose “Looks fine” or “Suspicious”." in text_of(response)
    assert not RiskDecision.objects.exists()


def test_the_decision_url_is_post_only_csrf_checked_and_scoped(client, desk, no_finders):
    posted = {"verdict": "suspicious", "reason": "Odd"}
    as_user(client, desk.manager_a)
    assert client.get(decide_url(desk.claim_a)).status_code == 405
    # Another store's claim: as if it did not exist.
    assert client.post(decide_url(desk.claim_b), posted).status_code == 404
    assert (
        client.post(reverse("admin:kiosk_claim_risk_decide", args=["nope"]), posted).status_code
        == 404
    )
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(desk.manager_a)
    assert strict.post(decide_url(desk.claim_a), posted).status_code == 403
    assert not RiskDecision.objects.exists()


def test_only_managers_who_may_decide_see_the_form_and_may_post(client, desk, no_finders):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_claim"))
    desk.store_a.members.add(viewer)
    as_user(client, viewer)

    page = client.get(change_url(desk.claim_a))
    response = client.post(decide_url(desk.claim_a), {"verdict": "fine", "reason": "Ok"})

    assert page.status_code == 200 and 'data-testid="risk-card"' in page.content.decode()
    assert 'data-testid="risk-decision"' not in page.content.decode()
    assert response.status_code == 403
    assert not RiskDecision.objects.exists()
    as_user(client, desk.manager_a)
    assert 'data-testid="risk-decision"' in client.get(change_url(desk.claim_a)).content.decode()


def test_a_draft_has_no_decision(client, desk, no_finders):
    draft = ClaimFactory(store=desk.store_a)
    as_user(client, desk.manager_a)

    page = client.get(change_url(draft)).content.decode()
    response = client.post(decide_url(draft), {"verdict": "fine", "reason": "Ok"}, follow=True)

    assert 'data-testid="risk-decision"' not in page
    assert "A draft is not assessed" in text_of(response)
    assert not RiskDecision.objects.exists()


# -- CSV ---------------------------------------------------------------------------------


def test_the_csv_has_the_risk_level_score_and_decision(client, desk):
    scored(desk.claim_a, "high", 75, risk_verdict="suspicious")
    scored(filed(desk.store_a, "SB-6666-6666"), "", None)
    as_user(client, desk.manager_a)

    rows = {row["claim_number"]: row for row in csv_rows(download_export(client))}

    high = rows["SB-1111-1111"]
    assert (high["risk"], high["risk_code"], high["risk_score"]) == ("High", "high", "75")
    assert (high["risk_decision"], high["risk_decision_code"]) == ("Suspicious", "suspicious")
    unscored = rows["SB-6666-6666"]
    assert (unscored["risk"], unscored["risk_code"], unscored["risk_score"]) == ("", "", "")
