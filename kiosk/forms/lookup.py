from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from kiosk.validators import normalise_phone_number


class CustomerClaimsForm(forms.Form):
    """The customer's full email or phone number: earlier claims are found by a full match."""

    contact = forms.CharField(
        label=_("Customer's email or phone number"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )

    def __init__(self, *args, default_region: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_region = default_region
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout("contact", Submit("find", _("Find claims"), css_class="btn-lg"))

    def clean_contact(self) -> dict[str, str]:
        value = self.cleaned_data["contact"].strip()
        if "@" in value:
            try:
                validate_email(value)
            except ValidationError:
                raise ValidationError(
                    _("Type the customer's whole email address, e.g. jane@example.com.")
                ) from None
            return {"email": value}
        try:
            return {"phone": normalise_phone_number(value, default_region=self.default_region)}
        except ValidationError:
            raise ValidationError(
                _("Type the customer's whole email address or phone number.")
            ) from None
