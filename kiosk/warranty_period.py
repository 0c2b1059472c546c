"""A warranty period: an ISO-8601 duration whose end date can be worked out exactly.

Pure (no models), beside the validators that use it, so that models import no service.
"""

import datetime
import re
from dataclasses import dataclass
from fractions import Fraction

import isodate
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# A month and a year as the Gregorian calendar averages them, for the longest period.
DAYS_PER_YEAR = Fraction("365.2425")


class WarrantyPeriodInvalid(ValueError):
    """A period whose end cannot be worked out exactly; the message says why, for the form."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class WarrantyPeriod:
    """Whole calendar years and months, then whole days (weeks are 7 days)."""

    years: int
    months: int
    days: int

    @property
    def is_zero(self) -> bool:
        return not (self.years or self.months or self.days)

    def last_day(self, date_of_purchase: datetime.date) -> datetime.date:
        """Raises OverflowError when the day would be past 31 Dec 9999."""
        try:
            return date_of_purchase + isodate.Duration(
                days=self.days, years=self.years, months=self.months
            )
        except ValueError as error:  # isodate's "year 10025 is out of range"
            raise OverflowError(str(error)) from error


def warranty_period_parse(*, period: str) -> WarrantyPeriod:
    """The ISO-8601 duration `period` as whole years, months and days.

    Raises WarrantyPeriodInvalid for what is not a duration, a negative one, one with a
    fraction of a year, month or day or with hours (its end date is not exact), and one
    longer than WARRANTY_PERIOD_MAX_YEARS. Zero is a period: it covers the day of purchase.
    """
    if period.startswith("-"):
        raise WarrantyPeriodInvalid(_("A warranty period cannot be negative."), code="negative")
    try:
        duration = isodate.parse_duration(period)
    except OverflowError:
        raise _too_long() from None
    except (isodate.ISO8601Error, ValueError):
        raise WarrantyPeriodInvalid(
            _("Enter an ISO-8601 duration such as P90D, P6M or P1Y."), code="invalid_duration"
        ) from None
    if isinstance(duration, isodate.Duration):
        years, months, rest = duration.years, duration.months, duration.tdelta
    else:
        years, months, rest = 0, 0, duration
    if years % 1 or months % 1 or rest.seconds or rest.microseconds:
        raise WarrantyPeriodInvalid(
            _(
                "Use whole years, months, weeks or days, such as 18 months or 45 days: "
                "a fraction of one has no exact end date."
            ),
            code="fraction",
        )
    parsed = WarrantyPeriod(years=int(years), months=int(months), days=rest.days)
    if parsed.years < 0 or parsed.months < 0 or parsed.days < 0:
        raise WarrantyPeriodInvalid(_("A warranty period cannot be negative."), code="negative")
    length_in_years = (
        Fraction(parsed.years) + Fraction(parsed.months, 12) + parsed.days / DAYS_PER_YEAR
    )
    if length_in_years > settings.WARRANTY_PERIOD_MAX_YEARS:
        raise _too_long()
    return parsed


def _too_long() -> WarrantyPeriodInvalid:
    return WarrantyPeriodInvalid(
        ngettext(
            "A warranty period can be at most %(count)d year.",
            "A warranty period can be at most %(count)d years.",
            settings.WARRANTY_PERIOD_MAX_YEARS,
        )
        % {"count": settings.WARRANTY_PERIOD_MAX_YEARS},
        code="too_long",
    )


# The words people type for each unit, in English and Spanish (the portal's languages),
# with and without accents; a number may also stand before the ISO letter ("18m").
UNIT_WORDS = {
    "Y": {"y", "yr", "yrs", "year", "years", "año", "años", "ano", "anos"},
    "M": {"m", "mo", "mos", "month", "months", "mes", "meses"},
    "W": {"w", "wk", "wks", "week", "weeks", "semana", "semanas"},
    "D": {"d", "day", "days", "día", "días", "dia", "dias"},
}
_UNIT_OF_WORD = {word: unit for unit, words in UNIT_WORDS.items() for word in words}
_AMOUNT = re.compile(r"(\d+(?:[.,]\d+)?)\s*([^\W\d_]+)")
_JOINING = re.compile(r"(?:\s|,|&|\band\b|\by\b|\+)*")


def warranty_period_from_words(text: str) -> str:
    """The ISO-8601 duration for a period as people type it: "18 months" -> "P18M",
    "1 year 6 months" -> "P1Y6M", "2 years" -> "P2Y", "90 days" -> "P90D"; an ISO
    duration ("p18m") is taken as it is, in capitals. What is not read so is handed back
    in capitals, for warranty_period_parse to refuse with its reason.
    """
    typed = " ".join(text.split())
    if not typed or typed[:1] in "pP-":
        return typed.upper()
    amounts: dict[str, str] = {}
    position = 0
    lowered = typed.lower()
    while position < len(lowered):
        match = _AMOUNT.match(lowered, position)
        unit = _UNIT_OF_WORD.get(match[2]) if match else None
        if unit is None or unit in amounts:
            return typed.upper()
        amounts[unit] = match[1].replace(",", ".")
        position = _JOINING.match(lowered, match.end()).end()
    if "W" in amounts and len(amounts) > 1:  # ISO-8601 has weeks only on their own
        weeks = amounts.pop("W")
        days = Fraction(amounts.get("D", "0")) + 7 * Fraction(weeks)
        amounts["D"] = str(days) if days.denominator == 1 else str(float(days))
    return "P" + "".join(f"{amounts[unit]}{unit}" for unit in "YMWD" if unit in amounts)


def warranty_period_words(period: str) -> str:
    """ "P2Y" -> "2 years", "P1Y6M" -> "1 year and 6 months"; what is not a period of
    whole years, months, weeks and days is shown as written."""
    match = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?", period)
    if not match or period == "P":
        return period
    years, months, weeks, days = (int(n) if n else None for n in match.groups())
    parts = []
    if years is not None:
        parts.append(ngettext("%(count)d year", "%(count)d years", years) % {"count": years})
    if months is not None:
        parts.append(ngettext("%(count)d month", "%(count)d months", months) % {"count": months})
    if weeks is not None:
        parts.append(ngettext("%(count)d week", "%(count)d weeks", weeks) % {"count": weeks})
    if days is not None:
        parts.append(ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
    if len(parts) == 1:
        return parts[0]
    return _("%(first)s and %(last)s") % {"first": ", ".join(parts[:-1]), "last": parts[-1]}
