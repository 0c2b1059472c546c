"""The claim list's filters: drafts, stores, state, and the submitted-date range.

A filter value that is not one of the filter's own (a hand-edited or stale link: another
store's id, a date that does not exist) is refused: the page says so and lists no claim,
so that neither the list nor an export of "everything matching" is ever wider than asked.
"""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import BadRequest
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kiosk.followup.claim_state import STATE_LABELS, claim_state_label
from kiosk.models import Claim, ClaimStateChange, Product, RiskDecision
from kiosk.selectors.scoping import stores_visible_to


class RefusingChangeList(ChangeList):
    """Lists nothing while a filter refuses its value, and says why on the page."""

    def __init__(self, request, *args, **kwargs):
        # PostgreSQL cannot even compare a text with a NUL in it.
        if any("\x00" in key + value for key, value in request.GET.items()):
            raise BadRequest(_("A parameter of the claim list holds a NUL character."))
        super().__init__(request, *args, **kwargs)
        for refusal in self.refusals:
            messages.error(request, refusal)

    @property
    def refusals(self) -> list[str]:
        return [spec.refused for spec in self.filter_specs if getattr(spec, "refused", "")]

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.none() if self.refusals else queryset


def _refusal(title: str, value: str) -> str:
    shown = Truncator(value).chars(40)
    return _(
        "Filter by %(title)s: “%(value)s” is not one of its choices. "
        "No claim is listed until it is changed."
    ) % {"title": title, "value": shown}


class CheckedListFilter(admin.SimpleListFilter):
    """Takes only the values its lookups offer."""

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        value = self.value()
        self.refused = ""
        if value == "":  # an empty field of a hand-made query: not filtered
            del self.used_parameters[self.parameter_name]
        elif value is not None and value not in {str(key) for key, _ in self.lookup_choices}:
            self.refused = _refusal(self.title, value)
            del self.used_parameters[self.parameter_name]


class CheckedChoicesFieldListFilter(admin.ChoicesFieldListFilter):
    """A model field's choices filter that takes only the field's choices."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        allowed = {str(key) for key, _ in self.field.flatchoices if key is not None}
        given = [value for value in self.lookup_val or [] if value != ""]
        wrong = [value for value in given if value not in allowed]
        self.refused = _refusal(self.title, wrong[0]) if wrong else ""
        if wrong or not given:
            self.used_parameters.pop(self.lookup_kwarg, None)
            self.lookup_val = None


class DraftFilter(CheckedListFilter):
    """Drafts are not claims yet: left out unless asked for."""

    title = gettext_lazy("drafts")
    parameter_name = "drafts"

    def lookups(self, request, model_admin):
        return [
            ("only", _("Drafts only")),
            (
                "abandoned",
                ngettext(
                    "Abandoned (untouched for %(days)d day)",
                    "Abandoned (untouched for %(days)d days)",
                    settings.DRAFT_ABANDONED_AFTER_DAYS,
                )
                % {"days": settings.DRAFT_ABANDONED_AFTER_DAYS},
            ),
            ("include", _("Drafts and submitted claims")),
        ]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Submitted claims only"),
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


class StoreFilter(CheckedListFilter):
    """The stores the user may see, and only those."""

    title = gettext_lazy("store")
    parameter_name = "store"

    def lookups(self, request, model_admin):
        return [
            (str(pk), name)
            for pk, name in stores_visible_to(request.user).values_list("pk", "name")
        ]

    def queryset(self, request, queryset):
        return queryset.filter(store_id=self.value()) if self.value() else queryset


class ProductFilter(CheckedListFilter):
    """The claims about one product of the catalog (the dashboard links here); listed only
    once chosen, as the catalog may hold thousands."""

    title = gettext_lazy("product")
    parameter_name = "product"

    def lookups(self, request, model_admin):
        value = request.GET.get(self.parameter_name, "")
        if not value.isdigit():
            return []
        chosen = Product.objects.filter(pk=value).values_list("pk", "name")
        return [(str(pk), name) for pk, name in chosen]

    def has_output(self):
        return bool(self.lookup_choices or self.refused)

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(catalog_variant__product_id=self.value())
        return queryset


class ClaimStateFilter(CheckedListFilter):
    title = gettext_lazy("state at OrderProtection")
    parameter_name = "claim_state"

    # Kept but not applied: what a manager may want to look at.
    FLAGGED = {
        "flag:late": gettext_lazy("A state arrived late"),
        "flag:unknown_state": gettext_lazy("An unknown state received"),
        "flag:other_store": gettext_lazy("An event for another store"),
    }

    def lookups(self, request, model_admin):
        states = [(state, claim_state_label(state)) for state in STATE_LABELS]
        return states + list(self.FLAGGED.items())

    def queryset(self, request, queryset):
        if self.value() in self.FLAGGED:
            flagged = ClaimStateChange.objects.filter(flag=self.value().removeprefix("flag:"))
            return queryset.filter(pk__in=flagged.values("claim_id"))
        return queryset.filter(claim_state=self.value()) if self.value() else queryset


DATE_ERROR = {"invalid": gettext_lazy("Enter a date such as 2024-05-01.")}


class SubmittedRangeForm(forms.Form):
    submitted_from = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages=DATE_ERROR,
    )
    submitted_to = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages=DATE_ERROR,
    )

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("submitted_from"), cleaned.get("submitted_to")
        if first and last and first > last:
            raise forms.ValidationError(_("“From” is after “To”."), code="reversed")
        return cleaned

    def problems(self) -> str:
        return " ".join(
            f"{self.fields[name].label}: {' '.join(errors)}"
            if name in self.fields
            else " ".join(errors)
            for name, errors in self.errors.items()
        )


class SubmittedFilter(CheckedListFilter):
    """Submitted today, in the last 7 or 30 days, or between two dates (from, to)."""

    title = gettext_lazy("submitted")
    parameter_name = "submitted"
    template = "admin/kiosk/submitted_filter.html"
    PRESETS = {
        "today": (gettext_lazy("Today"), 0),
        "7d": (gettext_lazy("Last 7 days"), 6),
        "30d": (gettext_lazy("Last 30 days"), 29),
    }

    def __init__(self, request, params, model, model_admin):
        self.date_from = params.pop("submitted_from", [""])[-1]
        self.date_to = params.pop("submitted_to", [""])[-1]
        super().__init__(request, params, model, model_admin)
        self.range = SubmittedRangeForm(
            {"submitted_from": self.date_from, "submitted_to": self.date_to}
        )
        if not self.refused and not self.range.is_valid():
            self.refused = _(
                "Filter by %(title)s: %(problems)s No claim is listed until the dates are changed."
            ) % {"title": self.title, "problems": self.range.problems()}

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
        if self.refused:
            return queryset
        first, last = (
            self.range.cleaned_data["submitted_from"],
            self.range.cleaned_data["submitted_to"],
        )
        if first and (since := _start_of(first)):
            queryset = queryset.filter(submitted_at__gte=since)
        if last and (until := _start_of(last, days_later=1)):
            queryset = queryset.filter(submitted_at__lt=until)
        return queryset


def _start_of(day: datetime.date, *, days_later: int = 0) -> datetime.datetime | None:
    """Midnight starting the day, in the site's time zone; None past either end of the
    calendar (1 Jan of year 1, 31 Dec 9999), where a bound leaves nothing out anyway."""
    try:
        start = timezone.make_aware(
            datetime.datetime.combine(day + datetime.timedelta(days=days_later), datetime.time.min)
        )
        start.astimezone(datetime.UTC)  # as the database will store it
    except OverflowError:
        return None
    return start


class UndeliveredFilter(CheckedListFilter):
    """Claims on their way to OrderProtection, or stopped on the way."""

    title = gettext_lazy("delivery")
    parameter_name = "undelivered"

    def lookups(self, request, model_admin):
        return [("1", _("Not delivered yet"))]

    def queryset(self, request, queryset):
        return queryset.undelivered() if self.value() == "1" else queryset


class WarrantyOverrideFilter(CheckedListFilter):
    """Claims filed although their warranty had expired, with the associate's reason."""

    title = gettext_lazy("warranty override")
    parameter_name = "warranty_override"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(warranty_override_reason="")
        if self.value() == "no":
            return queryset.filter(warranty_override_reason="")
        return queryset


class CustomerCopyFilter(CheckedListFilter):
    title = gettext_lazy("customer's copy")
    parameter_name = "customer_copy"

    def lookups(self, request, model_admin):
        return [("none", _("Not queued")), *Claim.CustomerCopyStatus.choices]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(customer_copy_status="")
        if self.value() in Claim.CustomerCopyStatus.values:
            return queryset.filter(customer_copy_status=self.value())
        return queryset


class RiskFilter(CheckedListFilter):
    """Our risk level (kiosk.risk), and the managers' latest decision on it."""

    title = gettext_lazy("risk")
    parameter_name = "risk"

    def lookups(self, request, model_admin):
        return [
            *reversed(Claim.RiskLevel.choices),  # High first
            ("none", _("Not scored yet")),
            (RiskDecision.Verdict.SUSPICIOUS.value, _("Marked suspicious")),
            (RiskDecision.Verdict.FINE.value, _("Marked fine")),
        ]

    def queryset(self, request, queryset):
        if self.value() in Claim.RiskLevel.values:
            return queryset.filter(risk_level=self.value())
        if self.value() == "none":
            return queryset.filter(risk_level="")
        if self.value() in RiskDecision.Verdict.values:
            return queryset.filter(risk_verdict=self.value())
        return queryset
