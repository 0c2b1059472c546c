"""Shared tablets and associates' PINs, for the managers of their stores."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kiosk.admin.base import StoreScopedAdminMixin
from kiosk.admin.filters import StoreFilter
from kiosk.models import AssociatePin, Lockout, Tablet
from kiosk.selectors.scoping import stores_visible_to
from kiosk.services.lockouts import PIN_PREFIX, lockouts_clear, lockouts_current
from kiosk.services.tablets import (
    pin_holders,
    pin_min_length_for,
    pin_set,
    pin_validate,
    tablet_sign_out,
)


def _when(moment) -> str:
    """A report's time as the desk reads it: the hour today, else the date too."""
    if moment is None:
        return _("at an unknown time")
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return local.strftime("%H:%M")
    return local.strftime("%b %-d, %H:%M")


def _signed_out(count: int) -> str:
    return ngettext("%(count)d tablet signed out.", "%(count)d tablets signed out.", count) % {
        "count": count
    }


def _tablets_of(user, queryset):
    return queryset.filter(store__in=stores_visible_to(user))


def _pins_of(user, queryset):
    return queryset.filter(user__stores__in=stores_visible_to(user)).distinct()


@admin.register(Tablet)
class TabletAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(_tablets_of)
    list_display = [
        "name",
        "store",
        "signed_in_by",
        "signed_in_at",
        "expires_at",
        "last_seen_at",
        "claims_waiting",
    ]
    list_filter = [StoreFilter]
    show_facets = admin.ShowFacets.NEVER
    fields = list_display + ["signed_out_at", "signed_out_by"]
    readonly_fields = fields
    actions = ["sign_out", "sign_out_despite_waiting"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("store", "signed_in_by")

    def has_add_permission(self, request) -> bool:
        return False  # a tablet is signed in on the tablet itself

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("Claims waiting"), ordering="waiting_claims")
    def claims_waiting(self, tablet: Tablet) -> str:
        """What the tablet last reported as waiting on it to send (its outbox)."""
        if not tablet.waiting_claims:
            return "—"
        return _("%(count)d (reported %(when)s)") % {
            "count": tablet.waiting_claims,
            "when": _when(tablet.waiting_reported_at),
        }

    @admin.action(description=gettext_lazy("Sign the selected tablets out"), permissions=["change"])
    def sign_out(self, request, queryset):
        signed_out = 0
        for tablet in queryset.filter(signed_out_at__isnull=True):
            if tablet_sign_out(tablet=tablet, by=request.user):
                signed_out += 1
                continue
            tablet.refresh_from_db(fields=["waiting_claims", "waiting_reported_at"])
            self.message_user(
                request,
                ngettext(
                    "“%(tablet)s” was not signed out: %(count)d claim is waiting on it to send "
                    "(reported %(when)s). Signing it out strands it on the tablet. Let it send "
                    "first, or use “Sign the selected tablets out, even with claims waiting on "
                    "them”.",
                    "“%(tablet)s” was not signed out: %(count)d claims are waiting on it to send "
                    "(reported %(when)s). Signing it out strands them on the tablet. Let them "
                    "send first, or use “Sign the selected tablets out, even with claims waiting "
                    "on them”.",
                    tablet.waiting_claims,
                )
                % {
                    "tablet": tablet,
                    "count": tablet.waiting_claims,
                    "when": _when(tablet.waiting_reported_at),
                },
                messages.ERROR,
            )
        self.message_user(request, _signed_out(signed_out), messages.SUCCESS)

    @admin.action(
        description=gettext_lazy("Sign the selected tablets out, even with claims waiting on them"),
        permissions=["change"],
    )
    def sign_out_despite_waiting(self, request, queryset):
        signed_out, stranded = 0, 0
        for tablet in queryset.filter(signed_out_at__isnull=True):
            if tablet_sign_out(tablet=tablet, by=request.user, despite_waiting=True):
                signed_out += 1
                stranded += tablet.waiting_claims
        message = _signed_out(signed_out)
        if stranded:
            message += " " + ngettext(
                "%(count)d claim waiting on them stays there, unsent, until the tablet is "
                "signed in again and the associate who wrote it unlocks it.",
                "%(count)d claims waiting on them stay there, unsent, until the tablet is "
                "signed in again and the associate who wrote them unlocks it.",
                stranded,
            ) % {"count": stranded}
        self.message_user(request, message, messages.WARNING if stranded else messages.SUCCESS)


class AssociatePinForm(forms.ModelForm):
    pin = forms.CharField(
        label=gettext_lazy("New PIN"),
        min_length=4,
        max_length=6,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
        help_text=gettext_lazy(
            "Digits only; not 0000, 1234, 1212 or a year. It is stored hashed; "
            "nobody can read it back."
        ),
    )

    class Meta:
        model = AssociatePin
        fields = ["user"]

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        if self.instance.pk:
            self.fields["user"].disabled = True

    def clean(self):
        cleaned_data = super().clean()
        user, pin = cleaned_data.get("user"), cleaned_data.get("pin")
        if user is not None and pin is not None:
            try:
                pin_validate(pin, min_length=pin_min_length_for(user=user))
            except forms.ValidationError as refused:
                self.add_error("pin", refused)
        return cleaned_data


@admin.register(AssociatePin)
class AssociatePinAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(_pins_of)
    form = AssociatePinForm
    list_display = ["user", "set_by", "set_at"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # Only associates of the manager's stores: a PIN must never open more rights.
        users = pin_holders().filter(stores__in=stores_visible_to(request.user))
        users = users.distinct().order_by("first_name", "last_name", "username")

        class ScopedForm(form):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, users=users, **form_kwargs)

        return ScopedForm

    def save_model(self, request, obj, form, change):
        pin_set(user=form.cleaned_data["user"], pin=form.cleaned_data["pin"], by=request.user)
        obj.pk = AssociatePin.objects.get(user=form.cleaned_data["user"]).pk


def _lockouts_of(user, queryset):
    return queryset & lockouts_current(user=user)


@admin.register(Lockout)
class LockoutAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    """Who is locked out now, after wrong passwords or PINs; a manager can clear it."""

    scope = staticmethod(_lockouts_of)
    list_display = ["person", "kind", "failures_since_start", "attempt_time", "ip_address"]
    fields = ["username", "failures_since_start", "attempt_time", "ip_address", "user_agent"]
    readonly_fields = fields
    search_fields = ["username"]
    show_full_result_count = False
    actions = ["clear"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # cleared by the action, which records it

    @admin.display(description=gettext_lazy("Person"), ordering="username")
    def person(self, lockout: Lockout) -> str:
        return lockout.username.removeprefix(PIN_PREFIX)

    @admin.display(description=gettext_lazy("Locked"))
    def kind(self, lockout: Lockout) -> str:
        return _("PIN") if lockout.username.startswith(PIN_PREFIX) else _("Password")

    @admin.action(description=gettext_lazy("Clear the selected lockouts"), permissions=["change"])
    def clear(self, request, queryset):
        cleared = lockouts_clear(lockouts=queryset, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d lockout cleared.", "%(count)d lockouts cleared.", cleared)
            % {"count": cleared},
            messages.SUCCESS,
        )
