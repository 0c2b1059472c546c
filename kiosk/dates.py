"""Dates as people read them, in the active language: always with the month's name."""

import datetime

from django.utils.formats import date_format
from django.utils.translation import pgettext


def short_date(value: datetime.date) -> str:
    """ "Jan 14, 2027" in English, "14 de enero de 2027" in Spanish."""
    return date_format(value, pgettext("date with the month's short name", "M j, Y"))


def long_date(value: datetime.date) -> str:
    """ "December 6, 2026" in English, "6 de diciembre de 2026" in Spanish."""
    return date_format(value, pgettext("date with the month's full name", "F j, Y"))
