import dataclasses

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiosk.delivery.fields import COLLECTED_BY
from kiosk.forms.base import ClaimStepForm
from kiosk.models import Claim
from kiosk.services.attachments import (
    TYPED_NAME_MAX_CHARS,
    signature_decode,
    signature_from_typed_name,
)
from kiosk.services.drafts import StepInput
from kiosk.services.images import NormalisedImage


class SignatureForm(ClaimStepForm):
    payload_fields = COLLECTED_BY["signature"]
    # Where the error summary's links lead: the pad, not the hidden field it fills.
    error_anchors = {"signature_data": "signature-pad"}

    signature_data = forms.CharField(
        label=gettext_lazy("Signature"), required=False, widget=forms.HiddenInput
    )
    clear_signature = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # Where the store allows it (Store.typed_signature_allowed): the customer types their
    # name instead of drawing, e.g. with a keyboard; the server draws it as the signature.
    signature_typed_name = forms.CharField(
        label=gettext_lazy("Your full name"),
        required=False,
        max_length=TYPED_NAME_MAX_CHARS,
        help_text=gettext_lazy("It is sent as your signature, marked as typed."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "words"}),
    )

    class Meta:
        model = Claim
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.signature_image: NormalisedImage | None = None
        self.signature_typed = False
        if not self.claim.store.typed_signature_allowed:
            del self.fields["signature_typed_name"]

    def step_input(self) -> StepInput:
        entry = super().step_input()
        if not entry.valid:
            return entry
        return dataclasses.replace(
            entry,
            signature=self.signature_image,
            signature_typed=self.signature_typed,
            clear_signature=bool(self.cleaned_data.get("clear_signature")),
        )

    def clean_signature_data(self) -> str:
        data_url = self.cleaned_data["signature_data"]
        if data_url:
            self.signature_image = signature_decode(data_url=data_url)
        return data_url

    def clean(self):
        cleaned = super().clean()
        typed_name = cleaned.get("signature_typed_name", "")
        # Drawn wins over typed: the pad empties the name as the customer draws (kiosk.js).
        if typed_name and not self.signature_image and not self.has_error("signature_data"):
            try:
                self.signature_image = signature_from_typed_name(name=typed_name)
                self.signature_typed = True
            except ValidationError as error:
                self.add_error("signature_typed_name", error)
        has_stored = self.attachment_count("signature") and not cleaned.get("clear_signature")
        if (
            self.claim.store.signature_required
            and not self.errors
            and not self.signature_image
            and not has_stored
        ):
            self.add_error("signature_data", self.missing_signature_message())
        return cleaned

    def missing_signature_message(self) -> str:
        if "signature_typed_name" in self.fields:
            return _(
                "The customer has not signed yet: ask them to sign in the box, "
                "or to type their name instead."
            )
        return _("The customer has not signed yet: ask them to sign in the box.")
