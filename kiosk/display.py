"""Stored values as a person reads them at the desk and in its CSV: times in the store's
zone, phone numbers, places by name, warranty periods in words.

Pure (no models), like geography.py, so that the admin and the selectors both use it. The
codes themselves stay in the stored record and the request sent; these are only labels.
"""

import datetime
import gettext as gettext_module
import zoneinfo
from functools import cache

import phonenumbers
import pycountry
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext, pgettext

from kiosk.geography import country_name
from kiosk.warranty_period import WarrantyPeriodInvalid, warranty_period_parse

EMPTY = "—"


def store_zone(name: str | None) -> datetime.tzinfo:
    """The store's time zone; the site's when the name is empty or unknown."""
    try:
        return zoneinfo.ZoneInfo(name) if name else timezone.get_default_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def local_time(value: datetime.datetime | None, zone: str | None) -> str:
    """A moment in the store's zone, in the desk's one format, the zone named:
    "Dec 6, 2026, 16:48:39 EST"."""
    if value is None:
        return EMPTY
    # Translators: a date and time with seconds and the time zone, Django date format.
    fmt = pgettext("desk time format", "M j, Y, H:i:s T")
    return date_format(value.astimezone(store_zone(zone)), fmt)


def local_date(value: datetime.date | None) -> str:
    """A day, as the desk writes it: "Oct 7, 2026"."""
    if value is None:
        return EMPTY
    # Translators: a date, Django date format.
    return date_format(value, pgettext("desk date format", "M j, Y"))


def phone_display(number: str) -> str:
    """An E.164 number grouped as people write it: "+1 217-555-0100"; anything that does
    not parse is shown as stored."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@cache
def _place_names(domain: str, language: str):
    try:
        return gettext_module.translation(
            domain, pycountry.LOCALES_DIR, languages=[language.replace("-", "_")]
        )
    except OSError:
        return gettext_module.NullTranslations()


def country_label(code: str) -> str:
    """ "US" -> "United States" (in the desk's language where pycountry has it)."""
    if not code:
        return ""
    try:
        name = country_name(code)
    except (AttributeError, LookupError):
        return code
    return _place_names("iso3166-1", get_language() or "en").gettext(name)


def subdivision_label(code: str) -> str:
    """ "US-IL" -> "Illinois"."""
    if not code:
        return ""
    subdivision = pycountry.subdivisions.get(code=code)
    if subdivision is None:
        return code
    return _place_names("iso3166-2", get_language() or "en").gettext(subdivision.name)


def warranty_period_words(period: str) -> str:
    """ "P2Y" -> "2 years", "P1Y6M" -> "1 year, 6 months", "P0D" -> "the day of purchase";
    a period that does not parse is shown as stored."""
    if not period:
        return ""
    try:
        parsed = warranty_period_parse(period=period)
    except WarrantyPeriodInvalid:
        return period
    if parsed.is_zero:
        return pgettext("warranty period", "the day of purchase only")
    parts = []
    if parsed.years:
        parts.append(ngettext("%(count)d year", "%(count)d years", parsed.years))
        parts[-1] %= {"count": parsed.years}
    if parsed.months:
        parts.append(ngettext("%(count)d month", "%(count)d months", parsed.months))
        parts[-1] %= {"count": parsed.months}
    if parsed.days:
        parts.append(ngettext("%(count)d day", "%(count)d days", parsed.days))
        parts[-1] %= {"count": parsed.days}
    return ", ".join(parts)
