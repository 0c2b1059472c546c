"""A warranty period: an ISO-8601 duration whose end date can be worked out exactly.

Pure (no models), beside the validators that use it, so that models import no service.
"""

import datetime
from dataclasses import dataclass
from fractions import Fraction

import isodate
from django.conf import settings

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
        raise WarrantyPeriodInvalid("A warranty period cannot be negative.", code="negative")
    try:
        duration = isodate.parse_duration(period)
    except OverflowError:
        raise _too_long() from None
    except (isodate.ISO8601Error, ValueError):
        raise WarrantyPeriodInvalid(
            "Enter an ISO-8601 duration such as P90D, P6M or P1Y.", code="invalid_duration"
        ) from None
    if isinstance(duration, isodate.Duration):
        years, months, rest = duration.years, duration.months, duration.tdelta
    else:
        years, months, rest = 0, 0, duration
    if years % 1 or months % 1 or rest.seconds or rest.microseconds:
        raise WarrantyPeriodInvalid(
            "Use whole years, months, weeks or days, such as P18M or P45D: "
            "a fraction of one has no exact end date.",
            code="fraction",
        )
    parsed = WarrantyPeriod(years=int(years), months=int(months), days=rest.days)
    if parsed.years < 0 or parsed.months < 0 or parsed.days < 0:
        raise WarrantyPeriodInvalid("A warranty period cannot be negative.", code="negative")
    length_in_years = (
        Fraction(parsed.years) + Fraction(parsed.months, 12) + parsed.days / DAYS_PER_YEAR
    )
    if length_in_years > settings.WARRANTY_PERIOD_MAX_YEARS:
        raise _too_long()
    return parsed


def _too_long() -> WarrantyPeriodInvalid:
    return WarrantyPeriodInvalid(
        f"A warranty period can be at most {settings.WARRANTY_PERIOD_MAX_YEARS} years.",
        code="too_long",
    )
