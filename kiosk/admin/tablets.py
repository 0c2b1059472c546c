"""Shared tablets and associates' PINs, for the managers of their stores."""

from django import forms
from django.contrib import admin, messages

from kiosk.admin.base import StoreScopedAdminMixin
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


def _tablets_of(user, queryset):
    return queryset.filter(store__in=stores_visible_to(user))


def _pins_of(user, queryset):
    return queryset.filter(user__stores__in=stores_visible_to(user)).distinct()


@admin.register(Tablet)
class TabletAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(_tablets_of)
    list_display = ["name", "store", "signed_in_by", "signed_in_at", "expires_at", "last_seen_at"]
    list_filter = ["store"]
    fields = list_display + ["signed_out_at", "signed_out_by"]
    readonly_fields = fields
    actions = ["sign_out"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("store", "signed_in_by")

    def has_add_permission(self, request) -> bool:
        return False  # a tablet is signed in on the tablet itself

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Sign the selected tablets out", permissions=["change"])
    def sign_out(self, request, queryset):
        tablets = list(queryset.filter(signed_out_at__isnull=True))
        for tablet in tablets:
            tablet_sign_out(tablet=tablet, by=request.user)
        self.message_user(request, f"{len(tablets)} tablet(s) signed out.", messages.SUCCESS)


class AssociatePinForm(forms.ModelForm):
    pin = forms.CharField(
        label="New PIN",
        min_length=4,
        max_length=6,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
        help_text="Digits only; not 0000, 1234, 1212 or a year. It is stored hashed; "
        "nobody can read it back.",
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

    @admin.display(description="Person", ordering="username")
    def person(self, lockout: Lockout) -> str:
        return lockout.username.removeprefix(PIN_PREFIX)

    @admin.display(description="Locked")
    def kind(self, lockout: Lockout) -> str:
        return "PIN" if lockout.username.startswith(PIN_PREFIX) else "Password"

    @admin.action(description="Clear the selected lockouts", permissions=["change"])
    def clear(self, request, queryset):
        cleared = lockouts_clear(lockouts=queryset, by=request.user)
        self.message_user(request, f"{cleared} lockout(s) cleared.", messages.SUCCESS)
