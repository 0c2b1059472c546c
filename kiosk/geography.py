"""Countries and their states or provinces, from pycountry; US ZIP codes' places, from
zipcodes."""

import re
from dataclasses import dataclass
from functools import cache

import pycountry
import zipcodes


def country_name(code: str) -> str:
    """The English name the API expects in `country`, e.g. "United States"."""
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or country.name


@cache
def country_choices() -> list[tuple[str, str]]:
    return sorted(
        ((c.alpha_2, country_name(c.alpha_2)) for c in pycountry.countries),
        key=lambda choice: choice[1],
    )


@cache
def subdivision_choices(country_code: str) -> list[tuple[str, str]]:
    """Top-level subdivisions of a country as (ISO 3166-2 code, name), or [] if it has none."""
    subdivisions = pycountry.subdivisions.get(country_code=country_code) or []
    return sorted(
        ((s.code, s.name) for s in subdivisions if s.parent_code is None),
        key=lambda choice: choice[1],
    )


def subdivision_name(code: str) -> str:
    return pycountry.subdivisions.get(code=code).name


def subdivision_abbreviation(code: str) -> str:
    """ "US-NY" -> "NY"."""
    return code.split("-", 1)[1]


@dataclass(frozen=True)
class PostalPlace:
    """Where a postal code is: its city, and its state as an ISO 3166-2 code ("US-NY")."""

    city: str
    state: str


# A US ZIP code, or a ZIP+4 taken by its first five digits.
US_ZIP = re.compile(r"([0-9]{5})(?:-[0-9]{4})?")


def postal_code_place(country_code: str, postal_code: str) -> PostalPlace | None:
    """The city and state of a postal code, or None when it is not known.

    Only US ZIP codes are known (the USPS list in `zipcodes`, which needs no network).
    Retired ZIP codes, and those of a state that is not an ISO 3166-2 subdivision of
    the US (the military's AA/AE/AP, the freely associated states), are not known.
    """
    if country_code != "US":
        return None
    match = US_ZIP.fullmatch(postal_code.strip())
    if match is None:
        return None
    us_states = {code for code, _name in subdivision_choices("US")}
    for place in zipcodes.matching(match[1]):
        state = f"US-{place['state']}"
        if place["active"] and state in us_states:
            return PostalPlace(city=place["city"], state=state)
    return None
