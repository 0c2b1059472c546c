"""Is the claim covered? The warranty's last day, from the date of purchase and its period."""

import datetime
import zoneinfo
from dataclasses import dataclass

import isodate
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.timesince import timesince

from kiosk.models import Claim, Store


@dataclass(frozen=True)
class Coverage:
    """The warranty covers every day from the purchase up to and including `last_day`."""

    last_day: datetime.date
    today: datetime.date

    @property
    def expired(self) -> bool:
        return self.today > self.last_day

    @property
    def label(self) -> str:
        """What the associate reads: "Covered until 14 Jan 2027" or "Expired 3 months ago"."""
        if self.expired:
            return f"Expired {timesince(self.last_day, self.today, depth=1)} ago"
        if self.last_day == self.today:
            return f"Covered until today ({format_date(self.last_day, 'j M Y')})"
        return f"Covered until {format_date(self.last_day, 'j M Y')}"


def coverage_on(
    *, date_of_purchase: datetime.date, warranty_period: str, today: datetime.date
) -> Coverage | None:
    """The coverage on `today`; None when the period is not an ISO-8601 duration.

    Pure. Months and years are calendar months and years, clipped to the end
    of a shorter month: bought 31 Jan with P1M, covered until 28 (or 29) Feb;
    bought 29 Feb with P1Y, covered until 28 Feb. The warranty ends on the day
    the period ends, so P0D covers the day of purchase only.
    """
    try:
        duration = isodate.parse_duration(warranty_period)
    except (isodate.ISO8601Error, ValueError):
        return None
    try:
        last_day = date_of_purchase + duration
    except (OverflowError, ValueError):  # past year 9999: covered as far as a date goes
        last_day = datetime.date.max
    return Coverage(last_day=last_day, today=today)


def store_today(*, store: Store, now: datetime.datetime | None = None) -> datetime.date:
    """Today's date where the store is, not where the server is."""
    return timezone.localdate(now, timezone=zoneinfo.ZoneInfo(store.time_zone))


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
    """An expired warranty without a reason to file it anyway."""
    coverage = claim_coverage(claim=claim)
    return coverage is not None and coverage.expired and not claim.warranty_override_reason
