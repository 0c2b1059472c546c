"""Is the claim covered? The warranty's last day, from the date of purchase and its period."""

import datetime
from dataclasses import dataclass

from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from kiosk.dates import short_date, store_today
from kiosk.models import Claim
from kiosk.warranty_period import WarrantyPeriodInvalid, warranty_period_parse


@dataclass(frozen=True)
class Coverage:
    """The warranty covers every day from the purchase up to and including `last_day`.

    `last_day` is None when it cannot be worked out (`problem` says why): such a
    coverage is never shown as covered, and filing the claim needs an override reason.
    """

    last_day: datetime.date | None
    today: datetime.date
    problem: str = ""

    @property
    def known(self) -> bool:
        return self.last_day is not None

    @property
    def expired(self) -> bool:
        return self.known and self.today > self.last_day

    @property
    def needs_override(self) -> bool:
        return not self.known or self.expired

    @property
    def label(self) -> str:
        """What the associate reads: "Covered until Jan 14, 2027" or "Expired 3 months ago"."""
        if not self.known:
            return _("Coverage unknown: %(problem)s") % {"problem": self.problem}
        if self.expired:
            since = timesince(self.last_day, self.today, depth=1)
            return _("Expired %(time)s ago") % {"time": since}
        if self.last_day == self.today:
            return _("Covered until today (%(date)s)") % {"date": short_date(self.last_day)}
        return _("Covered until %(date)s") % {"date": short_date(self.last_day)}


def coverage_on(
    *, date_of_purchase: datetime.date, warranty_period: str, today: datetime.date
) -> Coverage:
    """The coverage on `today`; of unknown end when the period is refused by
    warranty_period_parse or ends past the last date there is.

    Pure. Months and years are calendar months and years, clipped to the end
    of a shorter month: bought 31 Jan with P1M, covered until 28 (or 29) Feb;
    bought 29 Feb with P1Y, covered until 28 Feb. The warranty ends on the day
    the period ends, so P0D covers the day of purchase only.
    """
    try:
        last_day = warranty_period_parse(period=warranty_period).last_day(date_of_purchase)
    except WarrantyPeriodInvalid as refused:
        return Coverage(last_day=None, today=today, problem=str(refused))
    except OverflowError:
        return Coverage(
            last_day=None, today=today, problem=_("The warranty would end after the year 9999.")
        )
    return Coverage(last_day=last_day, today=today)


def claim_coverage(*, claim: Claim, now: datetime.datetime | None = None) -> Coverage | None:
    """The claim's coverage today in its store's time zone; None until it has a date and period."""
    if claim.date_of_purchase is None or not claim.warranty_period:
        return None
    return coverage_on(
        date_of_purchase=claim.date_of_purchase,
        warranty_period=claim.warranty_period,
        today=store_today(store=claim.store, now=now),
    )


def claim_needs_override(*, claim: Claim) -> bool:
    """A warranty expired, or whose end cannot be worked out, without a reason to file it."""
    coverage = claim_coverage(claim=claim)
    return coverage is not None and coverage.needs_override and not claim.warranty_override_reason
