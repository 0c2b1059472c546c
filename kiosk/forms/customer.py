from crispy_forms.layout import Layout
from django import forms
from django.core.exceptions import ValidationError

from kiosk.forms.base import ClaimStepForm
from kiosk.models import Claim
from kiosk.validators import normalise_phone_number


class CustomerForm(ClaimStepForm):
    payload_fields = {"customer.email": "customer_email", "customer.phoneNumber": "customer_phone"}

    class Meta:
        model = Claim
        fields = ["customer_email", "customer_phone"]
        labels = {"customer_email": "Email", "customer_phone": "Phone number"}
        widgets = {
            "customer_email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "customer_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        help_texts = {"customer_phone": "Numbers from abroad start with + and the country code."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout("customer_email", "customer_phone")

    def clean_customer_phone(self) -> str:
        value = self.cleaned_data["customer_phone"].strip()
        if not value:
            return ""
        return normalise_phone_number(value, default_region=self.claim.store.default_country)

    def clean(self):
        cleaned = super().clean()
        contact_given = cleaned.get("customer_email") or cleaned.get("customer_phone")
        if not contact_given and not self.errors:
            raise ValidationError("Enter the customer's email or phone number, or both.")
        return cleaned
