"""Dates as people read them, in the active language: always with the month's name."""

import datetime
import zoneinfo
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import pgettext

if TYPE_CHECKING:
    from kiosk.models import Store


def short_date(value: datetime.date) -> str:
    """ "Jan 14, 2027" in English, "14 de enero de 2027" in Spanish."""
    return date_format(value, pgettext("date with the month's short name", "M j, Y"))


def long_date(value: datetime.date) -> str:
    """ "December 6, 2026" in English, "6 de diciembre de 2026" in Spanish."""
    return date_format(value, pgettext("date with the month's full name", "F j, Y"))


def store_today(*, store: "Store", now: datetime.datetime | None = None) -> datetime.date:
    """Today's date where the store is, not where the server is (`now`: that day at a time)."""
    return timezone.localdate(now, timezone=zoneinfo.ZoneInfo(store.time_zone))
