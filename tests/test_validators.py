import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.services.attachments import signature_decode
from kiosk.services.coverage import coverage_on
from kiosk.validators import (
    normalise_phone_number,
    validate_country_code,
    validate_iso_duration,
    validate_latitude,
    validate_longitude,
    validate_not_in_future,
    validate_two_decimals,
)
from kiosk.warranty_period import warranty_period_from_words, warranty_period_words
from tests.images import signature_data_url

D = datetime.date


@pytest.mark.parametrize(
    "typed, region, expected",
    [
        ("212 555 0100", "US", "+12125550100"),
        ("(212) 555-0100", "US", "+12125550100"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
    ],
)
def test_normalise_phone_number_returns_e164(typed, region, expected):
    assert normalise_phone_number(typed, default_region=region) == expected


@pytest.mark.parametrize("typed", ["12", "555", "not a number", "+1 000 000 0000"])
def test_normalise_phone_number_refuses_what_is_not_a_number(typed):
    with pytest.raises(ValidationError):
        normalise_phone_number(typed, default_region="US")


@pytest.mark.parametrize("value", ["P30D", "P6M", "P1Y", "P5Y", "P18M", "P1Y6M", "P2W"])
def test_validate_iso_duration_accepts_durations(value):
    try:
        validate_iso_duration(value)
    except ValidationError as error:
        pytest.fail(f"{value} refused: {error.messages}")


@pytest.mark.parametrize("value", ["1Y", "P", "PT0S", "P0D", "one year", "P1X", ""])
def test_validate_iso_duration_refuses_others(value):
    with pytest.raises(ValidationError):
        validate_iso_duration(value)


@pytest.mark.parametrize(
    "value, code",
    [
        ("P0.5Y", "fraction"),
        ("P1.5M", "fraction"),
        ("P0.5W", "fraction"),
        ("PT5H", "fraction"),
        ("P1DT12H", "fraction"),
        ("-P1Y", "negative"),
        ("P99999999999999999999D", "too_long"),
        ("P99999999999Y", "too_long"),
        ("P101Y", "too_long"),
        ("garbage", "invalid_duration"),
    ],
)
def test_validate_iso_duration_refuses_periods_without_an_exact_end(value, code):
    with pytest.raises(ValidationError) as refused:
        validate_iso_duration(value)

    assert refused.value.code == code


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.text(alphabet="P0123456789YMWDTHS.,-+eE ", max_size=30) | st.text(max_size=30))
def test_validate_iso_duration_never_fails_with_anything_but_a_form_error(value):
    try:
        validate_iso_duration(value)
    except ValidationError:
        return
    # What it accepts has a real end date, from any day of purchase.
    assert coverage_on(
        date_of_purchase=D(2026, 1, 31), warranty_period=value, today=D(2026, 1, 31)
    ).known


def test_validate_not_in_future():
    validate_not_in_future(timezone.localdate())
    with pytest.raises(ValidationError, match="future"):
        validate_not_in_future(timezone.localdate() + datetime.timedelta(days=1))


def test_validate_two_decimals():
    validate_two_decimals(Decimal("99.99"))
    with pytest.raises(ValidationError):
        validate_two_decimals(Decimal("99.999"))


@pytest.mark.parametrize(
    "validator, good, bad",
    [
        (validate_latitude, Decimal("-90"), Decimal("90.0001")),
        (validate_longitude, Decimal("180"), Decimal("-180.5")),
    ],
)
def test_validate_coordinates_range(validator, good, bad):
    validator(good)
    with pytest.raises(ValidationError):
        validator(bad)


def test_validate_country_code():
    validate_country_code("US")
    with pytest.raises(ValidationError):
        validate_country_code("XX")


def test_signature_decode_accepts_a_drawn_signature():
    assert signature_decode(data_url=signature_data_url()).data.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "data_url, message",
    [
        (signature_data_url(blank=True), "not signed"),
        ("data:image/png;base64,!!!", "could not be read"),
        ("data:text/plain;base64,aGVsbG8=", "could not be read"),
    ],
)
def test_signature_decode_refuses_blank_or_broken_signatures(data_url, message):
    with pytest.raises(ValidationError, match=message):
        signature_decode(data_url=data_url)


@pytest.mark.parametrize(
    "value, label",
    [
        ("P30D", "30 days"),
        ("P1Y", "1 year"),
        ("P2Y", "2 years"),
        ("P1Y6M", "1 year and 6 months"),
        ("P1Y2M10D", "1 year, 2 months and 10 days"),
        ("P2W", "2 weeks"),
        ("P0.5Y", "P0.5Y"),  # not whole: shown as written
        ("garbage", "garbage"),
    ],
)
def test_warranty_period_words(value, label):
    assert warranty_period_words(value) == label


@pytest.mark.parametrize(
    "typed, period",
    [
        ("18 months", "P18M"),
        ("2 years", "P2Y"),
        ("1 year 6 months", "P1Y6M"),
        ("1 year, 6 months", "P1Y6M"),
        ("1 year and 6 months", "P1Y6M"),
        ("90 days", "P90D"),
        ("1 day", "P1D"),
        ("3 weeks", "P3W"),
        ("1 month 2 weeks", "P1M14D"),  # ISO-8601 has weeks only on their own
        ("18m", "P18M"),
        (" 2  Years ", "P2Y"),
        ("18 meses", "P18M"),
        ("1 año y 6 meses", "P1Y6M"),
        ("90 días", "P90D"),
        ("P18M", "P18M"),
        ("p18m", "P18M"),
        ("1.5 years", "P1.5Y"),  # refused by warranty_period_parse: a fraction
        ("18 moons", "18 MOONS"),  # not read: refused by warranty_period_parse
        ("1 year 2 years", "1 YEAR 2 YEARS"),
        ("months", "MONTHS"),
    ],
)
def test_warranty_period_from_words(typed, period):
    assert warranty_period_from_words(typed) == period
