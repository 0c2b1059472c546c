"""The claim list's filters: drafts, stores, state, and the submitted-date range."""

import datetime

from django.conf import settings
from django.contrib import admin
from django.utils import timezone
from django.utils.dateparse import parse_date

from kiosk.models import Claim, ClaimStateChange
from kiosk.services.claim_state import STATE_LABELS, claim_state_label
from kiosk.services.scoping import stores_visible_to


class DraftFilter(admin.SimpleListFilter):
    """Drafts are not claims yet: left out unless asked for."""

    title = "drafts"
    parameter_name = "drafts"

    def lookups(self, request, model_admin):
        return [
            ("only", "Drafts only"),
            (
                "abandoned",
                f"Abandoned (untouched for {settings.DRAFT_ABANDONED_AFTER_DAYS} days)",
            ),
            ("include", "Drafts and submitted claims"),
        ]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Submitted claims only",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        drafts = Claim.Status.DRAFT
        if self.value() == "only":
            return queryset.filter(status=drafts)
        if self.value() == "abandoned":
            return queryset.filter(status=drafts, updated_at__lt=abandoned_before())
        if self.value() == "include":
            return queryset
        return queryset.exclude(status=drafts)


def abandoned_before() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=settings.DRAFT_ABANDONED_AFTER_DAYS)


class StoreFilter(admin.SimpleListFilter):
    """The stores the user may see, and only those."""

    title = "store"
    parameter_name = "store"

    def lookups(self, request, model_admin):
        return [
            (str(pk), name)
            for pk, name in stores_visible_to(request.user).values_list("pk", "name")
        ]

    def queryset(self, request, queryset):
        return queryset.filter(store_id=self.value()) if self.value() else queryset


class ClaimStateFilter(admin.SimpleListFilter):
    title = "state at OrderProtection"
    parameter_name = "claim_state"

    # Kept but not applied: what a manager may want to look at.
    FLAGGED = {
        "flag:late": "A state arrived late",
        "flag:unknown_state": "An unknown state received",
        "flag:other_store": "An event for another store",
    }

    def lookups(self, request, model_admin):
        states = [(state, claim_state_label(state)) for state in STATE_LABELS]
        return states + list(self.FLAGGED.items())

    def queryset(self, request, queryset):
        if self.value() in self.FLAGGED:
            flagged = ClaimStateChange.objects.filter(flag=self.value().removeprefix("flag:"))
            return queryset.filter(pk__in=flagged.values("claim_id"))
        return queryset.filter(claim_state=self.value()) if self.value() else queryset


class SubmittedFilter(admin.SimpleListFilter):
    """Submitted today, in the last 7 or 30 days, or between two dates (from, to)."""

    title = "submitted"
    parameter_name = "submitted"
    template = "admin/kiosk/submitted_filter.html"
    PRESETS = {"today": ("Today", 0), "7d": ("Last 7 days", 6), "30d": ("Last 30 days", 29)}

    def __init__(self, request, params, model, model_admin):
        self.date_from = params.pop("submitted_from", [""])[-1]
        self.date_to = params.pop("submitted_to", [""])[-1]
        super().__init__(request, params, model, model_admin)

    def has_output(self) -> bool:
        return True

    def expected_parameters(self):
        return [self.parameter_name, "submitted_from", "submitted_to"]

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.PRESETS.items()]

    def choices(self, changelist):
        ignored = {self.parameter_name, "submitted_from", "submitted_to", "p"}
        self.kept_parameters = [
            (name, value) for name, value in changelist.params.items() if name not in ignored
        ]
        yield from super().choices(changelist)

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() in self.PRESETS:
            first_day = today - datetime.timedelta(days=self.PRESETS[self.value()][1])
            return queryset.filter(submitted_at__gte=_start_of(first_day))
        if start := parse_date(self.date_from or ""):
            queryset = queryset.filter(submitted_at__gte=_start_of(start))
        if end := parse_date(self.date_to or ""):
            queryset = queryset.filter(submitted_at__lt=_start_of(end + datetime.timedelta(days=1)))
        return queryset


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class UndeliveredFilter(admin.SimpleListFilter):
    """Claims on their way to OrderProtection, or stopped on the way."""

    title = "delivery"
    parameter_name = "undelivered"

    def lookups(self, request, model_admin):
        return [("1", "Not delivered yet")]

    def queryset(self, request, queryset):
        return queryset.undelivered() if self.value() == "1" else queryset


class WarrantyOverrideFilter(admin.SimpleListFilter):
    """Claims filed although their warranty had expired, with the associate's reason."""

    title = "warranty override"
    parameter_name = "warranty_override"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(warranty_override_reason="")
        if self.value() == "no":
            return queryset.filter(warranty_override_reason="")
        return queryset


class CustomerCopyFilter(admin.SimpleListFilter):
    title = "customer's copy"
    parameter_name = "customer_copy"

    def lookups(self, request, model_admin):
        return [("none", "Not queued"), *Claim.CustomerCopyStatus.choices]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(customer_copy_status="")
        if self.value() in Claim.CustomerCopyStatus.values:
            return queryset.filter(customer_copy_status=self.value())
        return queryset
