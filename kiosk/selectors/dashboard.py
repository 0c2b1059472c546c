"""The manager's dashboard: what was filed at their stores over a period, in numbers."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kiosk.models import Claim
from kiosk.selectors.scoping import claims_visible_to

PERIODS = {
    "today": gettext_lazy("Today"),
    "7d": gettext_lazy("Last 7 days"),
    "30d": gettext_lazy("Last 30 days"),
}
CHART_WIDTH, CHART_HEIGHT = 720, 180
PRODUCTS_SHOWN = 10


@dataclass(frozen=True)
class Bar:
    day: datetime.date
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Dashboard:
    period: str
    since: datetime.datetime
    total: int
    by_status: list[tuple[str, str, int]]  # (value, label, count)
    by_issue_type: list[tuple[str, str, int]]
    by_resolution: list[tuple[str, str, int]]
    by_store: list[tuple[int, str, int]]
    by_product: list[tuple[int, str, int]]  # the most claimed products of the catalog
    bars: list[Bar]
    undelivered: int
    needs_attention: int
    outcome_unknown: int


def period_start(period: str, now: datetime.datetime) -> datetime.datetime:
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - datetime.timedelta(days={"today": 0, "7d": 6, "30d": 29}[period])


def dashboard_for(*, user: AbstractBaseUser, period: str) -> Dashboard:
    """Claims submitted at the user's stores since the start of the period (drafts left out)."""
    period = period if period in PERIODS else "7d"
    now = timezone.now()
    since = period_start(period, now)
    visible = claims_visible_to(user)
    submitted = visible.exclude(status=Claim.Status.DRAFT).filter(submitted_at__gte=since)
    per_day = dict(
        submitted.annotate(day=TruncDate("submitted_at", tzinfo=timezone.get_current_timezone()))
        .values_list("day")
        .annotate(count=Count("pk"))
        .values_list("day", "count")
    )
    days = [since.date() + datetime.timedelta(days=n) for n in range((now - since).days + 1)]
    undelivered = dict(
        visible.undelivered()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return Dashboard(
        period=period,
        since=since,
        total=sum(per_day.values()),
        by_status=_counted(submitted, "status"),
        by_issue_type=_counted(submitted, "issue_type"),
        by_resolution=_counted(submitted, "resolution"),
        by_store=list(
            submitted.values_list("store_id", "store__name")
            .annotate(n=Count("pk"))
            .order_by("-n", "store__name")
        ),
        by_product=list(
            submitted.filter(catalog_variant__isnull=False)
            .values_list("catalog_variant__product_id", "catalog_variant__product__name")
            .annotate(n=Count("pk"))
            .order_by("-n", "catalog_variant__product__name")[:PRODUCTS_SHOWN]
        ),
        bars=_bars([(day, per_day.get(day, 0)) for day in days]),
        undelivered=sum(undelivered.values()),
        needs_attention=undelivered.get(Claim.Status.NEEDS_ATTENTION, 0),
        outcome_unknown=undelivered.get(Claim.Status.OUTCOME_UNKNOWN, 0),
    )


def _counted(claims, field: str) -> list[tuple[str, str, int]]:
    labels = dict(Claim._meta.get_field(field).choices)
    counts = claims.values_list(field).annotate(n=Count("pk")).order_by("-n")
    return [(value, labels.get(value, value or "—"), n) for value, n in counts]


def _bars(days: list[tuple[datetime.date, int]]) -> list[Bar]:
    """Bars for a server-drawn SVG chart, scaled to the busiest day."""
    highest = max((count for _, count in days), default=0) or 1
    slot = CHART_WIDTH / max(len(days), 1)
    return [
        Bar(
            day=day,
            count=count,
            x=round(index * slot + slot * 0.1, 1),
            y=round(CHART_HEIGHT - CHART_HEIGHT * count / highest, 1),
            width=round(slot * 0.8, 1),
            height=round(CHART_HEIGHT * count / highest, 1),
        )
        for index, (day, count) in enumerate(days)
    ]
