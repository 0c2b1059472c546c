"""Risk signals other than photos: the repeat claimant, shared identities, the claim that does
not add up, velocity; assessed end to end and by `manage.py assess_risk`."""

import datetime
import logging
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kiosk.admin.risk_words import MatchedClaims, signal_label, signal_sentence
from kiosk.models import Claim, Product, Variant
from kiosk.models.claim import EmailKey
from kiosk.risk import identity
from kiosk.risk.consistency import (
    consistency_findings,
    item_other_customer,
    outside_warranty,
    price_mismatch,
    purchase_before_catalog,
    purchase_in_future,
)
from kiosk.risk.identity import identity_findings, repeat_claimant, shared_identity
from kiosk.risk.scoring import claim_risk_assess
from kiosk.risk.velocity import associate_velocity, store_velocity, velocity_findings
from tests.factories import ClaimFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 6, 15, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
SECOND = datetime.timedelta(seconds=1)
MINUTE = datetime.timedelta(minutes=1)


def submitted(at: datetime.datetime = NOW, **fields) -> Claim:
    """A submitted claim; its customer is Jane unless told otherwise."""
    fields = {
        "customer_email": "jane@example.com",
        "customer_phone": "+12125550100",
        "date_of_purchase": NOW.date() - 60 * DAY,
        **fields,
    }
    return ClaimFactory(status=Claim.Status.FILED, submitted_at=at, **fields)


def stranger(n: int) -> dict:
    return {
        "customer_email": f"someone{n}@example.net",
        "customer_phone": f"+1646555{n:04d}",
        "ship_address1": f"{n} Elm St",
        "ship_zip": "07302",
    }


def pks(finding) -> list[int]:
    return list(finding.matched_claim_ids)


# The repeat claimant


def test_repeat_claimant_counts_each_window_in_store_and_chain(store):
    elsewhere = StoreFactory()
    claim = submitted(store=store, customer_email="Jane+warranty@Example.com")
    in_30_here = submitted(NOW - 30 * DAY, store=store, customer_email="JANE@example.com")
    out_30_elsewhere = submitted(NOW - 30 * DAY - SECOND, store=elsewhere)
    in_365_by_phone = submitted(NOW - 365 * DAY, store=store, customer_email="j@example.org")
    submitted(NOW - 365 * DAY - SECOND, store=store)  # outside every window
    submitted(NOW + SECOND, store=store)  # later: not a repeat of this one
    ClaimFactory(store=store, customer_email="jane@example.com")  # a draft
    submitted(NOW - DAY, store=store, personal_data_purged_at=NOW)  # purged
    submitted(NOW - DAY, **stranger(1))

    [finding] = repeat_claimant(claim)

    assert finding.code == "repeat_claimant"
    assert finding.detail == {
        "windows": [
            {"days": 30, "store": 1, "chain": 1},
            {"days": 90, "store": 1, "chain": 2},
            {"days": 365, "store": 2, "chain": 3},
        ],
        "by": ["email", "phone"],
        "more": 0,
    }
    assert pks(finding) == [in_30_here.pk, out_30_elsewhere.pk, in_365_by_phone.pk]


def test_repeat_claimant_plus_tag_is_another_mailbox_when_the_setting_is_off(settings):
    settings.RISK_EMAIL_IGNORE_PLUS_TAG = False
    claim = submitted(customer_email="jane+shop@example.com", customer_phone="")
    submitted(NOW - DAY, customer_email="jane@example.com", customer_phone="")
    assert repeat_claimant(claim) == []

    same_case_aside = submitted(NOW - DAY, customer_email="JANE+Shop@example.com")
    [finding] = repeat_claimant(claim)
    assert pks(finding) == [same_case_aside.pk] and finding.detail["by"] == ["email"]


def test_repeat_claimant_links_the_newest_and_says_how_many_more(monkeypatch):
    monkeypatch.setattr(identity, "MATCHED_CLAIMS_MAX", 2)
    claim = submitted()
    newest = [submitted(NOW - n * DAY) for n in (1, 2)]
    submitted(NOW - 3 * DAY)

    [finding] = repeat_claimant(claim)

    assert pks(finding) == [c.pk for c in newest]
    assert finding.detail["more"] == 1 and finding.detail["windows"][-1]["chain"] == 3


def test_repeat_claimant_from_the_configured_number_of_claims(settings):
    settings.RISK_REPEAT_MIN_CLAIMS = 2
    claim = submitted()
    submitted(NOW - DAY)
    assert repeat_claimant(claim) == []
    submitted(NOW - 2 * DAY)
    assert len(repeat_claimant(claim)) == 1


def test_no_identity_signal_without_email_and_phone():
    anonymous = {"customer_email": "", "customer_phone": ""}
    claim = submitted(**anonymous)
    submitted(NOW - DAY, **anonymous)  # the same address, blank contact: never a match
    assert identity_findings(claim) == []


def test_purged_claims_neither_match_nor_are_matched():
    claim = submitted()
    purged = submitted(NOW - DAY, personal_data_purged_at=NOW)
    assert identity_findings(claim) == []
    # Its fields blanked by the purge, or not: the purge mark alone keeps it out.
    assert identity_findings(purged) == []


# Shared identity


def test_shared_identity_links_one_person_under_two_emails():
    claim = submitted(ship_address1="123 Main St", ship_address2="Apt 4", ship_zip="10001")
    other_email = submitted(
        NOW + 90 * DAY,  # later claims match too: a link goes both ways
        customer_email="jd@example.org",
        ship_address1=" 123  MAIN st ",
        ship_address2="apt 4",
        ship_zip="10001",
    )
    submitted(NOW - DAY, ship_address2="Apt 4")  # the same person: all three the same
    submitted(NOW - DAY, ship_address1="")  # email and phone, no address: not another identity
    submitted(NOW - DAY, customer_email="x@example.org", ship_address1="9 Oak Ave")  # phone only

    [finding] = shared_identity(claim)

    assert finding.code == "shared_identity"
    assert pks(finding) == [other_email.pk]
    assert finding.detail == {"shared": ["phone", "address"], "differ": ["email"], "more": 0}


def test_shared_identity_email_and_address_under_another_phone():
    claim = submitted(customer_email="jane+a@example.com")
    other = submitted(NOW - 400 * DAY, customer_email="jane+b@example.com", customer_phone="+1999")
    [finding] = shared_identity(claim)
    assert pks(finding) == [other.pk]
    assert finding.detail["shared"] == ["email", "address"]
    assert finding.detail["differ"] == ["phone"]


def test_shared_identity_other_country_same_street_and_zip_is_another_address():
    claim = submitted()
    submitted(NOW - DAY, customer_email="jd@example.org", ship_country="CA")
    assert shared_identity(claim) == []


# The claim that does not add up


def test_purchase_in_future_by_the_store_time_zone():
    los_angeles = StoreFactory(time_zone="America/Los_Angeles")
    late_evening_there = datetime.datetime(2026, 12, 7, 5, 0, tzinfo=datetime.UTC)  # 6 Dec, 9 pm
    claim = submitted(late_evening_there, store=los_angeles, date_of_purchase="2026-12-07")
    claim.refresh_from_db()

    [finding] = purchase_in_future(claim)
    assert finding.detail == {"date_of_purchase": "2026-12-07", "submitted_on": "2026-12-06"}

    claim.date_of_purchase = datetime.date(2026, 12, 6)
    assert purchase_in_future(claim) == []
    utc_store = submitted(late_evening_there, store=StoreFactory(time_zone="UTC"))
    utc_store.date_of_purchase = datetime.date(2026, 12, 7)
    assert purchase_in_future(utc_store) == []


def catalog_product(created_at: datetime.datetime, price: str | None = "100.00") -> Variant:
    product = Product.objects.create(name=f"Kettle {created_at:%Y%m%d%H}")
    Product.objects.filter(pk=product.pk).update(created_at=created_at)  # auto_now_add
    return Variant.objects.create(product=product, price=Decimal(price) if price else None)


def test_purchase_before_catalog_only_for_products_added_after_the_first_import():
    first_import = datetime.datetime(2026, 1, 10, 12, 0, tzinfo=datetime.UTC)
    original = catalog_product(first_import)
    catalog_product(first_import + datetime.timedelta(hours=6))  # the same day: first import too
    added = catalog_product(datetime.datetime(2026, 3, 1, 3, 0, tzinfo=datetime.UTC))
    los_angeles = StoreFactory(time_zone="America/Los_Angeles")  # added on 28 Feb there

    claim = submitted(store=los_angeles, catalog_variant=added, date_of_purchase="2026-02-27")
    claim.refresh_from_db()
    [finding] = purchase_before_catalog(claim)
    assert finding.detail == {"date_of_purchase": "2026-02-27", "in_catalog_since": "2026-02-28"}

    claim.date_of_purchase = datetime.date(2026, 2, 28)
    assert purchase_before_catalog(claim) == []
    claim.store = StoreFactory(time_zone="UTC")  # added on 1 March there
    assert len(purchase_before_catalog(claim)) == 1

    # Bought years before the catalog: the product was on sale before the catalog existed.
    old = submitted(catalog_variant=original, date_of_purchase="2020-01-01")
    old.refresh_from_db()
    assert purchase_before_catalog(old) == []


def test_outside_warranty_counts_the_associate_override():
    claim = submitted(
        date_of_purchase=datetime.date(2025, 8, 14),
        warranty_period="P1Y",
        warranty_override_reason="Manager Sam approved: known defect.",
    )
    [finding] = outside_warranty(claim)
    assert finding.detail == {
        "reason": "Manager Sam approved: known defect.",
        "warranty_end": "2026-08-14",
    }

    claim.warranty_period = "P1Y2D3H"  # no end can be worked out: overridden too
    assert outside_warranty(claim)[0].detail["warranty_end"] is None
    assert outside_warranty(submitted(warranty_override_reason="")) == []


@pytest.mark.parametrize(
    "paid, deviation",
    [("150.00", 0.5), ("50.00", -0.5), ("0.00", -1.0), ("149.99", None), ("50.01", None)],
)
def test_price_mismatch_either_way(paid, deviation):
    claim = submitted(catalog_variant=catalog_product(NOW), item_price=Decimal(paid))
    found = price_mismatch(claim)
    if deviation is None:
        assert found == []
    else:
        [finding] = found
        assert finding.detail == {
            "item_price": paid,
            "catalog_price": "100.00",
            "deviation": deviation,
        }


def test_price_mismatch_needs_both_prices():
    assert price_mismatch(submitted(catalog_variant=catalog_product(NOW), item_price=None)) == []
    no_catalog_price = catalog_product(NOW, price=None)
    assert price_mismatch(submitted(catalog_variant=no_catalog_price, item_price=1)) == []
    free = catalog_product(NOW, price="0.00")
    assert price_mismatch(submitted(catalog_variant=free, item_price=1)) == []
    assert price_mismatch(submitted(catalog_variant=None, item_price=1)) == []


def test_item_other_customer_same_item_not_same_product():
    claim = submitted(item_source_item_id="item_123", item_sku="SKU-1")
    someone_else = submitted(NOW + DAY, item_source_item_id="item_123", **stranger(1))
    submitted(NOW - DAY, item_source_item_id="item_123", customer_email="JANE+2@example.com")
    submitted(NOW - DAY, item_source_item_id="item_123", customer_email="")  # same phone
    submitted(NOW - DAY, item_source_item_id="item_999", item_sku="SKU-1", **stranger(2))
    ClaimFactory(item_source_item_id="item_123", **stranger(3))  # a draft
    no_contact = {"customer_email": "", "customer_phone": ""}
    submitted(NOW - DAY, item_source_item_id="item_123", **no_contact)  # cannot tell

    [finding] = item_other_customer(claim)

    assert finding.code == "item_other_customer"
    assert pks(finding) == [someone_else.pk]
    assert finding.detail == {"source_item_id": "item_123", "more": 0}
    assert item_other_customer(submitted(item_source_item_id="", **stranger(4))) == []


# Velocity


@pytest.fixture
def velocity(settings):
    settings.RISK_VELOCITY_DAYS = 7
    settings.RISK_VELOCITY_BASELINE_DAYS = 70
    settings.RISK_VELOCITY_FACTOR = 3.0
    settings.RISK_VELOCITY_MIN_CLAIMS = 3


def claims_at(store, associate, times: list[datetime.datetime]) -> list[Claim]:
    return [
        submitted(at, store=store, created_by=associate, **stranger(i))
        for i, at in enumerate(times)
    ]


def test_associate_velocity_against_the_store_rate_per_associate(velocity, store, associate):
    # Baseline: 20 claims by two associates over 70 days, 1 a week each; the window's start
    # (7 days back) is still in the window, a second earlier is the baseline's.
    colleague = UserFactory()
    window_start = NOW - 7 * DAY
    claims_at(store, colleague, [window_start - SECOND - n * DAY for n in range(10)])
    claims_at(store, associate, [window_start - SECOND - n * 3 * DAY for n in range(10)])
    claims_at(store, associate, [window_start, NOW - DAY])
    claim = submitted(store=store, created_by=associate)

    [finding] = associate_velocity(claim)

    assert finding.code == "associate_velocity"
    assert finding.detail == {"claims": 3, "expected": 1.0, "days": 7}
    claims_at(StoreFactory(), associate, [NOW - DAY])  # at another store: not counted
    assert associate_velocity(claim)[0].detail["claims"] == 3


def test_associate_velocity_needs_the_factor_and_the_minimum(velocity, settings, store, associate):
    claims_at(store, UserFactory(), [NOW - 8 * DAY - n * DAY for n in range(14)])  # 1.4 a week
    claims_at(store, associate, [NOW - DAY, NOW - 2 * DAY])
    claim = submitted(store=store, created_by=associate)
    assert associate_velocity(claim) == []  # 3 < 3 × 1.4

    settings.RISK_VELOCITY_FACTOR = 2.0
    assert associate_velocity(claim)[0].detail == {"claims": 3, "expected": 1.4, "days": 7}
    settings.RISK_VELOCITY_MIN_CLAIMS = 4
    assert associate_velocity(claim) == []


def test_store_velocity_against_its_own_baseline(velocity, store, associate):
    claims_at(store, associate, [NOW - 8 * DAY - n * 5 * DAY for n in range(14)])  # 1.4 a week
    claims_at(store, UserFactory(), [NOW - n * DAY for n in range(1, 4)])
    claims_at(StoreFactory(), associate, [NOW - DAY] * 5)  # another store's
    claim = submitted(store=store, created_by=UserFactory())
    assert store_velocity(claim) == []  # 4 < 3 × 1.4

    claims_at(store, UserFactory(), [NOW - 4 * DAY])
    [finding] = store_velocity(claim)
    assert finding.code == "store_velocity"
    assert finding.detail == {"claims": 5, "expected": 1.4, "days": 7}


def test_a_store_without_a_baseline_gives_no_velocity_signal(velocity, store, associate):
    claims_at(store, associate, [NOW - n * DAY for n in range(1, 7)])
    claims_at(store, associate, [NOW - 77 * DAY - SECOND])  # before the baseline period
    claim = submitted(store=store, created_by=associate)
    assert velocity_findings(claim) == []


# Assessed end to end


def test_claim_risk_assess_end_to_end(settings, store, caplog):
    settings.RISK_HIGH_SCORE = 60
    settings.RISK_HIGH_MIN_SIGNALS = 2
    variant = catalog_product(NOW - 400 * DAY)
    earlier = submitted(NOW - 10 * DAY, store=store, customer_email="jd@example.org")
    claim = submitted(
        store=store,
        catalog_variant=variant,
        item_price=Decimal("20.00"),
        item_source_item_id="item_7",
        warranty_override_reason="Customer insisted.",
        date_of_purchase=datetime.date(2026, 12, 20),
    )
    other_customer = submitted(NOW - DAY, item_source_item_id="item_7", **stranger(1))

    assert claim_risk_assess(claim_pk=claim.pk) == {earlier.pk, other_customer.pk}

    claim.refresh_from_db()
    signals = {s.code: s for s in claim.risk_signals.all()}
    assert set(signals) == {
        "repeat_claimant",
        "shared_identity",
        "purchase_in_future",
        "outside_warranty",
        "price_mismatch",
        "item_other_customer",
    }
    assert signals["shared_identity"].matched_claim_ids == [earlier.pk]
    assert signals["item_other_customer"].matched_claim_ids == [other_customer.pk]
    assert signals["price_mismatch"].detail["deviation"] == -0.8
    assert claim.risk_level == Claim.RiskLevel.HIGH
    assert claim.risk_score == sum(settings.RISK_WEIGHTS[code] for code in signals)
    # The desk has words for what the finders found, not the fallback to the code's label.
    with caplog.at_level(logging.WARNING, logger="kiosk.admin.risk_words"):
        sentences = [signal_sentence(s, MatchedClaims({})) for s in signals.values()]
    assert caplog.records == []
    assert not set(map(str, sentences)) & {signal_label(code) + "." for code in signals}


def test_the_finders_cost_four_queries(django_assert_max_num_queries, store):
    """Identity (email or phone, one query), the same item, the catalog's start, velocity."""
    first_import = catalog_product(NOW - 400 * DAY)
    variant = catalog_product(NOW - 10 * DAY)
    for n in range(5):
        submitted(NOW - n * DAY, store=store, item_source_item_id="item_7", **stranger(n))
        submitted(NOW - 30 * n * DAY, store=store, catalog_variant=first_import)
    claim = submitted(
        store=store,
        catalog_variant=variant,
        date_of_purchase=NOW.date() - 20 * DAY,
        item_source_item_id="item_7",
    )
    claim = Claim.objects.select_related("store", "catalog_variant__product").get(pk=claim.pk)

    with django_assert_max_num_queries(4):
        found = identity_findings(claim) + consistency_findings(claim) + velocity_findings(claim)

    assert {"repeat_claimant", "item_other_customer", "purchase_before_catalog"} <= {
        finding.code for finding in found
    }


@pytest.mark.parametrize(
    "email",
    ["Jane@Example.com", "jane+shop@example.com", "JANE+A+B@EXAMPLE.COM", "+x@example.com"],
)
def test_the_database_normalises_an_email_as_python_does(email):
    claim = submitted(customer_email=email)
    in_database = Claim.objects.annotate(key=EmailKey("customer_email")).get(pk=claim.pk).key
    assert in_database == identity.email_key(email)


# manage.py assess_risk


def assess_risk(*args: str) -> str:
    out = StringIO()
    call_command("assess_risk", *args, stdout=out)
    return out.getvalue().strip()


def test_assess_risk_unscored_catches_up_and_reports_levels(settings):
    settings.RISK_MEDIUM_SCORE = 25
    first = submitted(NOW - DAY, customer_email="jd@example.org")
    second = submitted()  # shares phone and address with the first under another email
    alone = submitted(**stranger(1))
    scored = submitted(**stranger(2), risk_scored_at=NOW, risk_level="low", risk_score=0)
    draft = ClaimFactory()

    assert assess_risk("--unscored") == (
        "Assessed 3 claim(s): 0 high, 2 medium; 0 matched claim(s) assessed again."
    )
    levels = dict(Claim.objects.values_list("pk", "risk_level"))
    assert levels[first.pk] == levels[second.pk] == Claim.RiskLevel.MEDIUM
    assert levels[alone.pk] == Claim.RiskLevel.LOW
    assert levels[scored.pk] == "low" and levels[draft.pk] == ""
    assert assess_risk("--unscored").startswith("Assessed 0 claim(s)")


def test_assess_risk_one_claim_and_its_matches_again():
    first = submitted(NOW - DAY, customer_email="jd@example.org")
    second = submitted()
    assert assess_risk("--claim", second.reference.lower()) == (
        "Assessed 1 claim(s): 0 high, 1 medium; 1 matched claim(s) assessed again."
    )
    first.refresh_from_db()
    assert first.risk_level == Claim.RiskLevel.MEDIUM
    assert first.risk_signals.get(code="shared_identity").matched_claim_ids == [second.pk]


def test_assess_risk_since_days(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    recent = submitted(NOW - 2 * DAY, **stranger(1))
    submitted(NOW - 3 * DAY - SECOND, **stranger(2))
    assert assess_risk("--since", "3").startswith("Assessed 1 claim(s)")
    assert list(Claim.objects.filter(risk_scored_at__isnull=False)) == [recent]


def test_assess_risk_says_which_claims():
    with pytest.raises(CommandError, match="--unscored, --since DAYS or --claim REF"):
        assess_risk()
    draft = ClaimFactory()
    with pytest.raises(CommandError, match=f"No submitted claim {draft.reference}"):
        assess_risk("--claim", draft.reference)


def test_assess_risk_older_than_leaves_the_claims_the_queue_is_still_on(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    waited = submitted(NOW - 10 * MINUTE, **stranger(1))
    submitted(NOW - 10 * MINUTE + SECOND, **stranger(2))
    assert assess_risk("--unscored", "--older-than", "10").startswith("Assessed 1 claim(s)")
    assert list(Claim.objects.filter(risk_scored_at__isnull=False)) == [waited]
    with pytest.raises(CommandError, match="--older-than takes a number of minutes"):
        assess_risk("--unscored", "--older-than", "-1")
