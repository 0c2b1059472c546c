import dataclasses

from django import forms
from django.utils.translation import gettext_lazy as _

from kiosk.delivery.fields import COLLECTED_BY
from kiosk.forms.base import ClaimStepForm
from kiosk.models import Claim
from kiosk.services.attachments import signature_decode
from kiosk.services.drafts import StepInput
from kiosk.services.images import NormalisedImage


class SignatureForm(ClaimStepForm):
    payload_fields = COLLECTED_BY["signature"]

    signature_data = forms.CharField(label=_("Signature"), required=False, widget=forms.HiddenInput)
    clear_signature = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Claim
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.signature_image: NormalisedImage | None = None

    def step_input(self) -> StepInput:
        entry = super().step_input()
        if not entry.valid:
            return entry
        return dataclasses.replace(
            entry,
            signature=self.signature_image,
            clear_signature=bool(self.cleaned_data.get("clear_signature")),
        )

    def clean_signature_data(self) -> str:
        data_url = self.cleaned_data["signature_data"]
        if data_url:
            self.signature_image = signature_decode(data_url=data_url)
        return data_url

    def clean(self):
        cleaned = super().clean()
        has_stored = self.attachment_count("signature") and not cleaned.get("clear_signature")
        if (
            self.claim.store.signature_required
            and not self.has_error("signature_data")
            and not self.signature_image
            and not has_stored
        ):
            self.add_error("signature_data", _("Ask the customer to sign in the box."))
        return cleaned
