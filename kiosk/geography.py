"""Countries and their states or provinces, from pycountry."""

from functools import cache

import pycountry


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
