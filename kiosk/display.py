"""Stored values as a person reads them at the desk and in its CSV: times in the store's
zone, amounts and phone numbers (places: geography.py; periods: warranty_period.py).

Pure (no models), like geography.py, so that the admin and the selectors both use it. The
codes themselves stay in the stored record and the request sent; these are only labels.
"""

import datetime
import zoneinfo
from decimal import Decimal

import phonenumbers
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext, pgettext

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


def money(value) -> str:
    """An amount in dollars with the active language's separators (es-US as en-US): $1,234.50."""
    if value is None:
        return ""
    amount = number_format(Decimal(str(value)), decimal_pos=2, force_grouping=True)
    return gettext("$%(amount)s") % {"amount": amount}
