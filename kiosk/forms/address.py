from crispy_forms.layout import HTML, Layout
from django import forms
from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from kiosk import geography
from kiosk.delivery.fields import COLLECTED_BY
from kiosk.forms.base import ClaimStepForm
from kiosk.forms.fields import Advanced, columns
from kiosk.models import Claim
from kiosk.validators import validate_latitude, validate_longitude

# Beside the box, which ZIP code and state it was ticked for: a box ticked, then the ZIP
# code or the state changed, does not confirm the new pair.
CONFIRMED_FOR = "postal_code_state_confirmed_for"


class AddressForm(ClaimStepForm):
    payload_fields = COLLECTED_BY["address"]
    ship_country = forms.ChoiceField(label=_("Country"))
    ship_state = forms.ChoiceField(label=_("State or province"), required=False)
    # Shown only when the postal code and the state disagree (POSTAL_CODE_STATE_MISMATCH).
    postal_code_state_confirmed = forms.BooleanField(
        required=False, label=gettext_lazy("Both are right: keep this ZIP code and state")
    )

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
            "ship_address1": _("Address"),
            "ship_address2": _("Apartment, suite, etc."),
            "ship_city": _("City"),
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
        self._prefill_the_stores_state(country)
        self.mismatch = self._postal_code_mismatch(country)
        if self.mismatch is not None:
            self.fields["postal_code_state_confirmed"].label = self.mismatch.confirm_label
            # Saved so, it was confirmed (or the policy allowed it): still confirmed.
            if not self.is_bound and self._saved_as_shown():
                self.initial["postal_code_state_confirmed"] = True
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
            *(
                [
                    "postal_code_state_confirmed",
                    HTML(
                        format_html(
                            '<input type="hidden" name="{}" value="{}">',
                            self.add_prefix(CONFIRMED_FOR),
                            self.mismatch.pair,
                        )
                    ),
                ]
                if self._asks_to_confirm()
                else []
            ),
            Advanced(
                _("location and address origin"), columns("ship_lat", "ship_lng", "address_origin")
            ),
        )

    def _prefill_the_stores_state(self, country: str) -> None:
        """A claim started before its store had a state, or with its state cleared and no
        address typed yet, opens with the store's state, as a new claim does (drafts)."""
        store = self.claim.store
        if self.is_bound or self.initial.get("ship_state") or not store.default_state:
            return
        typed = any(self.initial.get(n) for n in ("ship_address1", "ship_city", "ship_zip"))
        if country == store.default_country and not typed:
            self.initial["ship_state"] = store.default_state

    def _value(self, name: str) -> str:
        if self.is_bound:
            return self.data.get(self.add_prefix(name)) or ""
        return self.initial.get(name) or ""

    def _postal_code_mismatch(self, country: str) -> "PostalCodeMismatch | None":
        if settings.POSTAL_CODE_STATE_MISMATCH == "allow":
            return None
        postal_code, state = self._value("ship_zip"), self._value("ship_state")
        if not postal_code or not geography.postal_code_well_formed(country, postal_code):
            return None
        if state not in dict(self.fields["ship_state"].choices):
            return None
        if geography.postal_code_fits_state(country, state, postal_code) is not False:
            return None
        return PostalCodeMismatch(
            country=country,
            postal_code=geography.postal_code_clean(postal_code),
            state=state,
            place=geography.postal_code_state(country, postal_code),
        )

    def _asks_to_confirm(self) -> bool:
        return self.mismatch is not None and settings.POSTAL_CODE_STATE_MISMATCH == "confirm"

    def _saved_as_shown(self) -> bool:
        return (self.claim.ship_zip, self.claim.ship_state) == (
            self._value("ship_zip"),
            self._value("ship_state"),
        )

    def clean_ship_zip(self) -> str:
        country = self.data.get(self.add_prefix("ship_country")) or self.initial["ship_country"]
        postal_code = geography.postal_code_clean(self.cleaned_data["ship_zip"])
        if postal_code and not geography.postal_code_well_formed(country, postal_code):
            raise forms.ValidationError(postal_code_format_message(country), code="format")
        return postal_code

    def clean_ship_state(self) -> str:
        state = self.cleaned_data["ship_state"]
        country = self.cleaned_data.get("ship_country", "")
        if not state and geography.state_required(country):
            raise forms.ValidationError(
                _("Choose the state: an address in %(country)s needs one.")
                % {"country": geography.country_display_name(country)},
                code="required",
            )
        return state

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
        self._check_postal_code_against_state(cleaned)
        return cleaned

    def _check_postal_code_against_state(self, cleaned: dict) -> None:
        """A postal code of another state is most often a slip of the finger, but not
        always (a ZIP code can cross a state line; the lists lag behind the post office):
        the associate confirms it, or, by POSTAL_CODE_STATE_MISMATCH, corrects it."""
        if self.mismatch is None or self.errors.keys() & {"ship_zip", "ship_state"}:
            return
        if settings.POSTAL_CODE_STATE_MISMATCH == "refuse":
            self.add_error("ship_zip", self.mismatch.message(confirmable=False))
        elif not cleaned.get("postal_code_state_confirmed"):
            self.add_error("postal_code_state_confirmed", self.mismatch.message(confirmable=True))
        elif (
            self.data.get(self.add_prefix(CONFIRMED_FOR), self.mismatch.pair) != self.mismatch.pair
        ):
            # Ticked for another pair: asked again, with the box shown unticked.
            self.data = self.data.copy()
            self.data.pop(self.add_prefix("postal_code_state_confirmed"), None)
            self.add_error("postal_code_state_confirmed", self.mismatch.message(confirmable=True))


def postal_code_noun(country: str) -> str:
    return _("ZIP code") if country == "US" else _("postal code")


def postal_code_format_message(country: str) -> str:
    """What a postal code of the country looks like, e.g. "A US ZIP code is 5 digits, like
    62701." (from Google's address metadata for any other country)."""
    if country == "US":
        return _("A US ZIP code is 5 digits, like 62701 (or ZIP+4, like 62701-1234).")
    known = geography.postal_code_format(country)
    return _("A postal code in %(country)s looks like %(example)s.") % {
        "country": geography.country_display_name(country),
        "example": known.examples[0] if known and known.examples else "",
    }


class PostalCodeMismatch:
    """A well-formed postal code that is not one of the chosen state's."""

    def __init__(self, *, country: str, postal_code: str, state: str, place: str | None):
        self.country, self.postal_code, self.state, self.place = country, postal_code, state, place

    @property
    def pair(self) -> str:
        return f"{self.postal_code}|{self.state}"

    @property
    def confirm_label(self) -> str:
        return _("Both are right: ship to %(code)s in %(state)s") % {
            "code": self.postal_code,
            "state": geography.subdivision_display_name(self.state),
        }

    def message(self, *, confirmable: bool) -> str:
        words = {
            "noun": postal_code_noun(self.country),
            "code": self.postal_code,
            "state": geography.subdivision_display_name(self.state),
            "place": geography.subdivision_display_name(self.place) if self.place else "",
        }
        if self.place:
            said = _("The %(noun)s %(code)s is in %(place)s, not in %(state)s.") % words
        else:
            said = _("The %(noun)s %(code)s is not in %(state)s.") % words
        if confirmable:
            return (
                said
                + " "
                + _("Correct the %(noun)s or the state, or tick the box if both are right.") % words
            )
        return said + " " + _("Correct the %(noun)s or the state.") % words
