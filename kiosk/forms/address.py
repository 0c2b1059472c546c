from crispy_forms.layout import HTML, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from kiosk import geography
from kiosk.delivery.fields import COLLECTED_BY
from kiosk.forms.base import ClaimStepForm
from kiosk.forms.fields import Advanced, columns
from kiosk.models import Claim
from kiosk.validators import validate_latitude, validate_longitude


class AddressForm(ClaimStepForm):
    payload_fields = COLLECTED_BY["address"]
    ship_country = forms.ChoiceField(label=_("Country"))
    ship_state = forms.ChoiceField(label=_("State or province"), required=False)

    class Meta:
        model = Claim
        fields = [
            "ship_first_name",
            "ship_last_name",
            "ship_address1",
            "ship_address2",
            "ship_city",
            "ship_zip",
            "ship_country",
            "ship_state",
            "ship_lat",
            "ship_lng",
            "address_origin",
        ]
        labels = {
            "ship_first_name": _("Recipient's first name"),
            "ship_last_name": _("Recipient's last name"),
            "ship_address1": "Address",
            "ship_address2": _("Apartment, suite, etc."),
            "ship_city": "City",
            "ship_zip": _("Postal code"),
            "ship_lat": "Latitude",
            "ship_lng": "Longitude",
            "address_origin": _("Address origin"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("ship_first_name", "ship_last_name", "ship_address1", "ship_city", "ship_zip"):
            self.fields[name].required = True
        self.fields["ship_country"].choices = geography.country_choices()
        self.initial.setdefault("ship_country", self.claim.store.default_country)
        if not self.initial["ship_country"]:
            self.initial["ship_country"] = self.claim.store.default_country
        country = self.data.get(self.add_prefix("ship_country")) or self.initial["ship_country"]
        subdivisions = geography.subdivision_choices(country)
        self.fields["ship_state"].choices = [("", "—")] + subdivisions
        for name in ("ship_lat", "ship_lng"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})
        self.fields["address_origin"].widget.attrs["list"] = "address-origins"
        self.fields["address_origin"].help_text = _("Optional.")
        # The previous customer's address must not be offered on a shared tablet.
        for field in self.fields.values():
            field.widget.attrs["autocomplete"] = "off"
        self.helper.layout = Layout(
            columns("ship_first_name", "ship_last_name"),
            "ship_address1",
            "ship_address2",
            # The ZIP code first: on a US address it fills the city and state (kiosk.js).
            columns("ship_zip", "ship_city"),
            HTML('{% include "kiosk/includes/postal_code_fill.html" %}'),
            columns("ship_country", "ship_state"),
            Advanced(
                _("location and address origin"), columns("ship_lat", "ship_lng", "address_origin")
            ),
        )

    def clean_ship_lat(self):
        value = self.cleaned_data["ship_lat"]
        if value is not None:
            validate_latitude(value)
        return value

    def clean_ship_lng(self):
        value = self.cleaned_data["ship_lng"]
        if value is not None:
            validate_longitude(value)
        return value

    def clean_address_origin(self) -> str:
        return self.cleaned_data["address_origin"].strip().upper()

    def clean(self):
        cleaned = super().clean()
        lat, lng = cleaned.get("ship_lat"), cleaned.get("ship_lng")
        if (lat is None) != (lng is None) and not self.errors.keys() & {"ship_lat", "ship_lng"}:
            missing = "ship_lng" if lng is None else "ship_lat"
            self.add_error(missing, _("Enter both latitude and longitude, or neither."))
        return cleaned
