from crispy_forms.layout import HTML, Div, Field, Layout
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from kiosk.dates import short_date
from kiosk.delivery.fields import COLLECTED_BY
from kiosk.forms.base import ClaimStepForm
from kiosk.forms.fields import ImageUploadField, attachment_thumbnails
from kiosk.models import Claim, ClaimAttachment
from kiosk.services.coverage import Coverage, claim_coverage, coverage_on, store_today
from kiosk.validators import validate_iso_duration, validate_not_in_future
from kiosk.warranty_period import warranty_period_from_words, warranty_period_words

OTHER_PERIOD = "other"


class WarrantyForm(ClaimStepForm):
    payload_fields = COLLECTED_BY["warranty"]
    upload_kinds = {"receipt_photos": ClaimAttachment.Kind.RECEIPT}

    warranty_period_choice = forms.ChoiceField(label=_("Warranty period"))
    warranty_period_custom = forms.CharField(
        label=_("Other period"),
        required=False,
        help_text=gettext_lazy(
            "In years, months, weeks or days, such as 18 months or 1 year 6 months."
        ),
    )
    receipt_photos = ImageUploadField(label=_("Photos of the receipt"))

    class Meta:
        model = Claim
        fields = ["date_of_purchase", "warranty_override_reason", "product_description"]
        labels = {
            "date_of_purchase": _("Date of purchase"),
            "product_description": _("Anything different to say about the product's condition?"),
            "warranty_override_reason": _("Override reason"),
        }
        help_texts = {
            "warranty_override_reason": _(
                "The warranty has expired: say why the claim is filed anyway, for example "
                "who approved it. Kept for the store's managers; not sent to OrderProtection."
            ),
            "product_description": (
                _("Optional. Left empty, the item's description is sent as the product's.")
            ),
        }
        widgets = {
            "date_of_purchase": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "warranty_override_reason": forms.Textarea(attrs={"rows": 2}),
            "product_description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = store_today(store=self.claim.store)
        self.checked_coverage: Coverage | None = None
        self.fields["date_of_purchase"].required = True
        self.fields["date_of_purchase"].widget.attrs["max"] = f"{self.today:%Y-%m-%d}"
        periods = list(dict.fromkeys(settings.WARRANTY_PERIOD_CHOICES))
        self.fields["warranty_period_choice"].choices = [
            *((p, warranty_period_words(p)) for p in periods),
            (OTHER_PERIOD, "Other…"),
        ]
        current = self.claim.warranty_period or self.claim.store.default_warranty_period
        if current in periods:
            self.initial.setdefault("warranty_period_choice", current)
        else:
            self.initial.setdefault("warranty_period_choice", OTHER_PERIOD)
            self.initial.setdefault("warranty_period_custom", warranty_period_words(current))
        if self.claim.receipt_required:
            self.fields["receipt_photos"].help_text = _("This store requires a receipt.")
            self.fields["receipt_photos"].required = True  # marked; clean() counts the photos
        self.helper.layout = Layout(
            Field("date_of_purchase"),
            Div(
                Div("warranty_period_choice", css_class="col-md-6"),
                Div("warranty_period_custom", css_class="col-md-6", data_other_period=""),
                css_class="row",
            ),
            # The reason's field right after it: shown by CSS only when the coverage expired.
            HTML('{% include "kiosk/includes/coverage.html" with coverage=form.coverage %}'),
            "warranty_override_reason",
            "product_description",
            "receipt_photos",
            attachment_thumbnails("receipt"),
        )

    def clean_date_of_purchase(self):
        value = self.cleaned_data["date_of_purchase"]
        validate_not_in_future(value, today=self.today)
        return value

    @property
    def coverage(self) -> Coverage | None:
        """The coverage of the date and period typed in, or else of those saved."""
        if self.is_bound:
            return self.checked_coverage
        return claim_coverage(claim=self.claim)

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("warranty_period_choice")
        if choice == OTHER_PERIOD:
            custom = warranty_period_from_words(cleaned.get("warranty_period_custom", ""))
            try:
                validate_iso_duration(custom)
            except ValidationError as error:
                if error.code in ("invalid_duration", "zero"):
                    error = ValidationError(
                        _("Enter a period such as 18 months, 2 years or 90 days."),
                        code=error.code,
                    )
                self.add_error("warranty_period_custom", error)
            else:
                self.instance.warranty_period = custom
        elif choice:
            self.instance.warranty_period = choice
        self._check_coverage(cleaned)
        if (
            self.claim.receipt_required
            and not self.has_error("receipt_photos")
            and not self.attachment_count("receipt")
        ):
            self.add_error("receipt_photos", _("This store requires a photo of the receipt."))
        return cleaned

    def _check_coverage(self, cleaned: dict) -> None:
        """An expired warranty needs an override reason; a covered one keeps none."""
        purchased = cleaned.get("date_of_purchase")
        if purchased is None or self.has_error("warranty_period_custom"):
            return
        self.checked_coverage = coverage_on(
            date_of_purchase=purchased,
            warranty_period=self.instance.warranty_period,
            today=self.today,
        )
        if not self.checked_coverage.known:
            # Only a period from WARRANTY_PERIOD_CHOICES gets here unchecked, or an end
            # past the calendar's last day: never filed as covered.
            self.add_error("warranty_period_choice", self.checked_coverage.problem)
            return
        reason = cleaned.get("warranty_override_reason", "").strip()
        if not self.checked_coverage.expired:
            cleaned["warranty_override_reason"] = ""
        elif not reason:
            last_day = short_date(self.checked_coverage.last_day)
            self.add_error(
                "warranty_override_reason",
                _("The warranty ended on %(date)s: give a reason to file the claim anyway.")
                % {"date": last_day},
            )
        else:
            cleaned["warranty_override_reason"] = reason
