"""One form per step of the claim. Each validates and normalises its own fields."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Fieldset, Layout
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from kiosk import geography
from kiosk.choices import IssueType, Resolution
from kiosk.fields import ImageUploadField, warranty_period_label
from kiosk.models import Claim, ClaimAttachment
from kiosk.services.attachments import signature_decode
from kiosk.validators import (
    normalise_phone_number,
    validate_iso_duration,
    validate_latitude,
    validate_longitude,
    validate_not_in_future,
    validate_two_decimals,
)

OTHER_PERIOD = "other"


class ClaimStepForm(forms.ModelForm):
    """A step's form: edits part of a claim; knows which payload keys it collects.

    `payload_fields` maps the API's dotted keys to this form's fields, so that
    a rejection naming a key is shown at the field that collected it.
    `upload_kinds` maps image fields to the attachment kind they create.
    """

    payload_fields: dict[str, str] = {}
    upload_kinds: dict[str, str] = {}

    def __init__(self, *args, claim: Claim, **kwargs):
        self.claim = claim
        super().__init__(*args, instance=claim, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def collects(self, field_path: str) -> bool:
        """Whether this form collected the API key at `field_path`, e.g. "item.images[0]"."""
        return field_path.split("[", 1)[0] in self.payload_fields

    def accepted_uploads(self) -> list[tuple[str, object]]:
        """(attachment kind, file) for every upload that passed its checks."""
        return [
            (kind, upload)
            for name, kind in self.upload_kinds.items()
            for upload in self.fields[name].accepted
        ]

    def attachment_count(self, kind: str) -> int:
        """Photos already on the claim plus the good ones in this post."""
        stored = sum(1 for a in self.claim.attachments.all() if a.kind == kind)
        new = sum(1 for k, _ in self.accepted_uploads() if k == kind)
        return stored + new


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


class ItemForm(ClaimStepForm):
    payload_fields = {
        "item.name": "item_name",
        "item.sku": "item_sku",
        "item.sourceProductId": "item_source_product_id",
        "item.sourceVariantId": "item_source_variant_id",
        "item.sourceItemId": "item_source_item_id",
        "item.price": "item_price",
        "item.details": "item_details",
        "item.subIssueId": "item_sub_issue_id",
        "item.images": "item_photos",
        "item.productImage": "product_image",
    }
    upload_kinds = {
        "item_photos": ClaimAttachment.Kind.ITEM,
        "product_image": ClaimAttachment.Kind.PRODUCT,
    }

    item_photos = ImageUploadField(label="Photos of the item", help_text="Add one or more.")
    product_image = ImageUploadField(
        multiple=False, label="Product image", help_text="Optional: the product as sold."
    )

    class Meta:
        model = Claim
        fields = [
            "item_name",
            "item_sku",
            "item_price",
            "item_details",
            "item_source_product_id",
            "item_source_variant_id",
            "item_source_item_id",
            "item_sub_issue_id",
        ]
        labels = {
            "item_name": "Item name",
            "item_price": "Price paid",
            "item_details": "What is wrong with it?",
            "item_source_product_id": "Product ID",
            "item_source_variant_id": "Variant ID",
            "item_source_item_id": "Item ID",
            "item_sub_issue_id": "Sub-issue ID",
        }
        widgets = {"item_details": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item_name"].required = True
        self.fields["item_details"].required = True
        self.fields["item_price"].widget.attrs.update({"inputmode": "decimal", "step": "0.01"})
        self.helper.layout = Layout(
            "item_name",
            Div(
                Div("item_sku", css_class="col-md-6"),
                Div("item_price", css_class="col-md-6"),
                css_class="row",
            ),
            "item_details",
            "item_photos",
            "product_image",
            Fieldset(
                "Catalogue references (optional)",
                Div(
                    Div("item_source_product_id", css_class="col-md-6"),
                    Div("item_source_variant_id", css_class="col-md-6"),
                    Div("item_source_item_id", css_class="col-md-6"),
                    Div("item_sub_issue_id", css_class="col-md-6"),
                    css_class="row",
                ),
            ),
        )

    def clean_item_price(self):
        price = self.cleaned_data["item_price"]
        if price is not None:
            validate_two_decimals(price)
        return price

    def clean(self):
        cleaned = super().clean()
        if not self.has_error("item_photos") and not self.attachment_count("item"):
            self.add_error("item_photos", "Add at least one photo of the item.")
        return cleaned


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


class AddressForm(ClaimStepForm):
    payload_fields = {
        "shippingAddress.firstName": "ship_first_name",
        "shippingAddress.lastName": "ship_last_name",
        "shippingAddress.address1": "ship_address1",
        "shippingAddress.address2": "ship_address2",
        "shippingAddress.city": "ship_city",
        "shippingAddress.zip": "ship_zip",
        "shippingAddress.country": "ship_country",
        "shippingAddress.countryAbr": "ship_country",
        "shippingAddress.state": "ship_state",
        "shippingAddress.stateAbr": "ship_state",
        "shippingAddress.lat": "ship_lat",
        "shippingAddress.lng": "ship_lng",
        "shippingAddress.addressOrigin": "address_origin",
    }
    ship_country = forms.ChoiceField(label="Country")
    ship_state = forms.ChoiceField(label="State or province", required=False)

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
            "ship_first_name": "First name",
            "ship_last_name": "Last name",
            "ship_address1": "Address",
            "ship_address2": "Apartment, suite, etc.",
            "ship_city": "City",
            "ship_zip": "Postal code",
            "ship_lat": "Latitude",
            "ship_lng": "Longitude",
            "address_origin": "Address origin",
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
        self.fields["ship_state"].widget.attrs["data-subdivisions-url"] = "subdivisions"
        for name in ("ship_lat", "ship_lng"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})
        self.fields["address_origin"].widget.attrs["list"] = "address-origins"
        self.fields["address_origin"].help_text = "Optional."
        self.helper.layout = Layout(
            Div(
                Div("ship_first_name", css_class="col-md-6"),
                Div("ship_last_name", css_class="col-md-6"),
                css_class="row",
            ),
            "ship_address1",
            "ship_address2",
            Div(
                Div("ship_city", css_class="col-md-6"),
                Div("ship_zip", css_class="col-md-6"),
                css_class="row",
            ),
            Div(
                Div("ship_country", css_class="col-md-6"),
                Div("ship_state", css_class="col-md-6"),
                css_class="row",
            ),
            Fieldset(
                "Location (optional)",
                Div(
                    Div("ship_lat", css_class="col-md-4"),
                    Div("ship_lng", css_class="col-md-4"),
                    Div("address_origin", css_class="col-md-4"),
                    css_class="row",
                ),
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
            self.add_error(missing, "Enter both latitude and longitude, or neither.")
        return cleaned


class IssueForm(ClaimStepForm):
    payload_fields = {
        "issueType": "issue_type",
        "resolution": "resolution",
        "salesChannel": "sales_channel",
        "claimCategory": "claim_category",
        "claimFiledFrom": "claim_filed_from",
        "options.fromValet": "from_valet",
        "options.requireCustomerSignature": "require_customer_signature",
    }
    issue_type = forms.ChoiceField(
        label="What happened?", choices=IssueType.choices, widget=forms.RadioSelect
    )
    resolution = forms.ChoiceField(
        label="What does the customer want?", choices=Resolution.choices, widget=forms.RadioSelect
    )

    class Meta:
        model = Claim
        fields = [
            "issue_type",
            "resolution",
            "sales_channel",
            "claim_category",
            "claim_filed_from",
            "from_valet",
            "require_customer_signature",
        ]
        labels = {
            "claim_filed_from": "Claim filed from",
            "from_valet": "From valet",
            "require_customer_signature": "Require the customer's signature",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("sales_channel", "claim_category", "claim_filed_from"):
            self.fields[name].required = True
        self.helper.layout = Layout(
            Div(
                Div(Field("issue_type", wrapper_class="choice-tiles"), css_class="col-md-7"),
                Div(Field("resolution", wrapper_class="choice-tiles"), css_class="col-md-5"),
                css_class="row",
            ),
            Fieldset(
                "Filing options",
                Div(
                    Div("sales_channel", css_class="col-md-4"),
                    Div("claim_category", css_class="col-md-4"),
                    Div("claim_filed_from", css_class="col-md-4"),
                    css_class="row",
                ),
                "from_valet",
                "require_customer_signature",
            ),
        )


class SignatureForm(ClaimStepForm):
    payload_fields = {"signature": "signature_data"}

    signature_data = forms.CharField(label="Signature", required=False, widget=forms.HiddenInput)
    clear_signature = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Claim
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.signature_png: bytes | None = None

    def clean_signature_data(self) -> str:
        data_url = self.cleaned_data["signature_data"]
        if data_url:
            self.signature_png = signature_decode(data_url=data_url)
        return data_url

    def clean(self):
        cleaned = super().clean()
        has_stored = self.attachment_count("signature") and not cleaned.get("clear_signature")
        if (
            self.claim.store.signature_required
            and not self.has_error("signature_data")
            and not self.signature_png
            and not has_stored
        ):
            self.add_error("signature_data", "Ask the customer to sign in the box.")
        return cleaned
