from crispy_forms.layout import Layout
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kiosk.delivery.fields import COLLECTED_BY
from kiosk.forms.base import ClaimStepForm
from kiosk.forms.fields import columns
from kiosk.models import Claim
from kiosk.validators import normalise_phone_number


class CustomerForm(ClaimStepForm):
    payload_fields = COLLECTED_BY["customer"]

    class Meta:
        model = Claim
        fields = ["ship_first_name", "ship_last_name", "customer_email", "customer_phone"]
        labels = {
            "ship_first_name": _("First name"),
            "ship_last_name": _("Last name"),
            "customer_email": _("Email"),
            "customer_phone": _("Phone number"),
        }
        # "off": a shared tablet must not offer the previous customer's details.
        widgets = {
            "ship_first_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "ship_last_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "customer_email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "customer_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        help_texts = {"customer_phone": _("Numbers from abroad start with + and the country code.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("ship_first_name", "ship_last_name"):
            self.fields[name].required = True
        self.helper.layout = Layout(
            columns("ship_first_name", "ship_last_name"), "customer_email", "customer_phone"
        )

    def clean_customer_phone(self) -> str:
        value = self.cleaned_data["customer_phone"].strip()
        if not value:
            return ""
        return normalise_phone_number(value, default_region=self.claim.store.default_country)

    def clean(self):
        cleaned = super().clean()
        contact_given = cleaned.get("customer_email") or cleaned.get("customer_phone")
        if not contact_given and not self.errors:
            raise ValidationError(_("Enter the customer's email or phone number, or both."))
        return cleaned
