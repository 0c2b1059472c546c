"""A postal code's city and state (kiosk.geography.postal_code_place): US ZIP codes only."""

import pytest

from kiosk.geography import PostalPlace, postal_code_place


@pytest.mark.parametrize(
    ("postal_code", "place"),
    [
        ("10001", PostalPlace(city="New York", state="US-NY")),
        ("10001-1234", PostalPlace(city="New York", state="US-NY")),  # ZIP+4: its first five
        (" 94105 ", PostalPlace(city="San Francisco", state="US-CA")),
        ("00601", PostalPlace(city="Adjuntas", state="US-PR")),  # a territory, as ISO 3166-2
    ],
)
def test_postal_code_place_of_a_us_zip_code(postal_code, place):
    assert postal_code_place("US", postal_code) == place


@pytest.mark.parametrize(
    "postal_code",
    [
        "99999",  # no such ZIP code
        "10015",  # New York's, retired
        "09001",  # the military's (state AE): no ISO 3166-2 code
        "96960",  # the Marshall Islands': not a US state
        "1000",
        "100011234",
        "10001-12",
        "١٠٠٠١",  # digits, but not ASCII ones
        "",
    ],
)
def test_postal_code_place_of_an_unknown_code_is_none(postal_code):
    assert postal_code_place("US", postal_code) is None


def test_postal_code_place_knows_no_other_country():
    assert postal_code_place("CA", "10001") is None
    assert postal_code_place("CA", "M5V 3L9") is None
