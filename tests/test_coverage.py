"""Is it covered? The warranty's last day, in the store's time zone."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from kiosk.models import Store
from kiosk.services.coverage import (
    claim_coverage,
    claim_needs_override,
    coverage_on,
    store_today,
)
from kiosk.validators import validate_time_zone
from tests.factories import ClaimFactory, StoreFactory

D = datetime.date
NBSP = "\xa0"  # Django's timesince keeps a number with its unit


@pytest.mark.parametrize(
    "bought, period, last_day",
    [
        (D(2026, 1, 14), "P1Y", D(2027, 1, 14)),
        (D(2026, 1, 31), "P1M", D(2026, 2, 28)),  # clipped to the shorter month
        (D(2028, 1, 31), "P1M", D(2028, 2, 29)),  # a leap year's February
        (D(2026, 8, 31), "P6M", D(2027, 2, 28)),
        (D(2024, 2, 29), "P1Y", D(2025, 2, 28)),  # a leap day, a year on
        (D(2024, 2, 29), "P4Y", D(2028, 2, 29)),
        (D(2026, 1, 14), "P90D", D(2026, 4, 14)),
        (D(2026, 1, 14), "P2W", D(2026, 1, 28)),
        (D(2026, 1, 31), "P1Y1M", D(2027, 2, 28)),
        (D(2026, 1, 14), "P0D", D(2026, 1, 14)),  # the day of purchase only
        (D(2026, 1, 14), "P1Y2M10D", D(2027, 3, 24)),
        (D(2026, 1, 14), "P1W", D(2026, 1, 21)),
        (D(2026, 1, 14), "PT24H", D(2026, 1, 15)),  # whole days, however written
        (D(2026, 1, 14), "P100Y", D(2126, 1, 14)),  # WARRANTY_PERIOD_MAX_YEARS
    ],
)
def test_coverage_last_day(bought, period, last_day):
    coverage = coverage_on(date_of_purchase=bought, warranty_period=period, today=bought)

    assert coverage.last_day == last_day


def test_coverage_covered_until_a_future_day():
    coverage = coverage_on(
        date_of_purchase=D(2026, 1, 14), warranty_period="P1Y", today=D(2026, 11, 29)
    )

    assert not coverage.expired
    assert coverage.label == "Covered until Jan 14, 2027"


def test_coverage_ending_today_still_covers_today():
    coverage = coverage_on(
        date_of_purchase=D(2025, 11, 29), warranty_period="P1Y", today=D(2026, 11, 29)
    )

    assert not coverage.expired
    assert coverage.label == "Covered until today (Nov 29, 2026)"


def test_coverage_p0d_covers_the_day_of_purchase_and_no_more():
    bought = D(2026, 11, 28)

    on_the_day = coverage_on(date_of_purchase=bought, warranty_period="P0D", today=bought)
    next_day = coverage_on(date_of_purchase=bought, warranty_period="P0D", today=D(2026, 11, 29))

    assert not on_the_day.expired
    assert next_day.expired and next_day.label == f"Expired 1{NBSP}day ago"


@pytest.mark.parametrize(
    "bought, period, today, label",
    [
        (D(2025, 8, 14), "P1Y", D(2026, 11, 14), f"Expired 3{NBSP}months ago"),
        (D(2026, 1, 31), "P1M", D(2026, 3, 1), f"Expired 1{NBSP}day ago"),
        (D(2020, 5, 1), "P1Y", D(2026, 11, 29), f"Expired 5{NBSP}years ago"),
    ],
)
def test_coverage_expired_says_how_long_ago(bought, period, today, label):
    coverage = coverage_on(date_of_purchase=bought, warranty_period=period, today=today)

    assert coverage.expired
    assert coverage.label == label


@pytest.mark.parametrize(
    "period, problem",
    [
        ("1 year", "Enter an ISO-8601 duration"),
        ("garbage", "Enter an ISO-8601 duration"),
        ("P0.5Y", "a fraction of one has no exact end date"),
        ("P1,5M", "a fraction of one has no exact end date"),
        ("P1Y0.5D", "a fraction of one has no exact end date"),
        ("PT5H", "a fraction of one has no exact end date"),
        ("-P1Y", "cannot be negative"),
        ("P99999999999999999999D", "at most 100 years"),
        ("P9999Y", "at most 100 years"),
        ("P101Y", "at most 100 years"),
        ("P36525D", "at most 100 years"),
    ],
)
def test_coverage_of_a_period_without_an_exact_end_is_unknown_and_needs_an_override(
    period, problem
):
    coverage = coverage_on(
        date_of_purchase=D(2026, 1, 1), warranty_period=period, today=D(2026, 2, 1)
    )

    assert coverage.last_day is None
    assert problem in coverage.problem
    assert coverage.needs_override and not coverage.expired
    assert coverage.label.startswith("Coverage unknown:") and "Covered" not in coverage.label


def test_coverage_ending_past_the_last_date_there_is_is_unknown():
    coverage = coverage_on(
        date_of_purchase=D(9950, 1, 1), warranty_period="P100Y", today=D(9950, 1, 1)
    )

    assert coverage.last_day is None and coverage.needs_override
    assert "9999" not in coverage.label.replace("year 9999", "")


def test_the_longest_period_is_a_setting(settings):
    settings.WARRANTY_PERIOD_MAX_YEARS = 5
    bought = D(2026, 1, 1)

    five = coverage_on(date_of_purchase=bought, warranty_period="P5Y", today=bought)
    longer = coverage_on(date_of_purchase=bought, warranty_period="P5Y1D", today=bought)

    assert five.last_day == D(2031, 1, 1)
    assert longer.last_day is None and "at most 5 years" in longer.problem


def test_a_saved_claim_whose_period_has_no_exact_end_needs_an_override(db):
    claim = ClaimFactory(date_of_purchase=D(2026, 1, 1), warranty_period="P0.5Y")

    assert claim_needs_override(claim=claim)
    claim.warranty_override_reason = "Approved by the manager"
    assert not claim_needs_override(claim=claim)


def test_coverage_today_is_the_stores_today(db):
    # 03:30 UTC on 1 Dec is still 30 Nov in New York, and already 1 Dec in Auckland.
    now = datetime.datetime(2026, 12, 1, 3, 30, tzinfo=datetime.UTC)
    new_york = StoreFactory(time_zone="America/New_York")
    auckland = StoreFactory(time_zone="Pacific/Auckland")
    bought = {"date_of_purchase": D(2025, 11, 30), "warranty_period": "P1Y"}

    assert store_today(store=new_york, now=now) == D(2026, 11, 30)
    assert not claim_coverage(claim=ClaimFactory.build(store=new_york, **bought), now=now).expired
    assert claim_coverage(claim=ClaimFactory.build(store=auckland, **bought), now=now).expired


def test_claim_coverage_waits_for_a_date_and_a_period(db):
    store = StoreFactory()

    assert claim_coverage(claim=ClaimFactory.build(store=store, date_of_purchase=None)) is None
    assert claim_coverage(claim=ClaimFactory.build(store=store, warranty_period="")) is None


def test_store_time_zone_defaults_to_the_sites_and_must_be_iana(settings, db):
    settings.TIME_ZONE = "Europe/Berlin"

    assert Store().time_zone == "Europe/Berlin"
    validate_time_zone("America/New_York")
    for bad in ("Mars/Olympus_Mons", "../etc/passwd", "", "EST5EDT "):
        with pytest.raises(ValidationError):
            validate_time_zone(bad)
