from crispy_forms.layout import Div, Field, Layout
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from kiosk.forms.base import ClaimStepForm
from kiosk.forms.fields import ImageUploadField, attachment_thumbnails, warranty_period_label
from kiosk.models import Claim, ClaimAttachment
from kiosk.validators import validate_iso_duration, validate_not_in_future

OTHER_PERIOD = "other"


class WarrantyForm(ClaimStepForm):
    payload_fields = {
        "warranty.dateOfPurchase": "date_of_purchase",
        "warranty.warrantyPeriod": "warranty_period_choice",
        "warranty.productDescription": "product_description",
        "warranty.receiptImages": "receipt_photos",
        "warranty.receiptRequired": "receipt_photos",
    }
    upload_kinds = {"receipt_photos": ClaimAttachment.Kind.RECEIPT}

    warranty_period_choice = forms.ChoiceField(label="Warranty period")
    warranty_period_custom = forms.CharField(
        label="Other period",
        required=False,
        help_text="An ISO-8601 duration, such as P18M for 18 months.",
    )
    receipt_photos = ImageUploadField(label="Photos of the receipt")

    class Meta:
        model = Claim
        fields = ["date_of_purchase", "product_description"]
        labels = {"product_description": "The product and its condition"}
        widgets = {
            "date_of_purchase": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "product_description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date_of_purchase"].required = True
        self.fields["date_of_purchase"].widget.attrs["max"] = f"{timezone.localdate():%Y-%m-%d}"
        periods = list(dict.fromkeys(settings.WARRANTY_PERIOD_CHOICES))
        self.fields["warranty_period_choice"].choices = [
            *((p, warranty_period_label(p)) for p in periods),
            (OTHER_PERIOD, "Other…"),
        ]
        current = self.claim.warranty_period or self.claim.store.default_warranty_period
        if current in periods:
            self.initial.setdefault("warranty_period_choice", current)
        else:
            self.initial.setdefault("warranty_period_choice", OTHER_PERIOD)
            self.initial.setdefault("warranty_period_custom", current)
        if self.claim.receipt_required:
            self.fields["receipt_photos"].help_text = "This store requires a receipt."
        self.helper.layout = Layout(
            Field("date_of_purchase"),
            Div(
                Div("warranty_period_choice", css_class="col-md-6"),
                Div("warranty_period_custom", css_class="col-md-6", data_other_period=""),
                css_class="row",
            ),
            "product_description",
            "receipt_photos",
            attachment_thumbnails("receipt"),
        )

    def clean_date_of_purchase(self):
        value = self.cleaned_data["date_of_purchase"]
        validate_not_in_future(value)
        return value

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("warranty_period_choice")
        if choice == OTHER_PERIOD:
            custom = cleaned.get("warranty_period_custom", "").strip().upper()
            try:
                validate_iso_duration(custom)
            except ValidationError as error:
                self.add_error("warranty_period_custom", error)
            else:
                self.instance.warranty_period = custom
        elif choice:
            self.instance.warranty_period = choice
        if (
            self.claim.receipt_required
            and not self.has_error("receipt_photos")
            and not self.attachment_count("receipt")
        ):
            self.add_error("receipt_photos", "This store requires a photo of the receipt.")
        return cleaned
