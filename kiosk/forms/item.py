from crispy_forms.layout import HTML, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from kiosk.delivery.fields import COLLECTED_BY
from kiosk.forms.base import ClaimStepForm
from kiosk.forms.fields import ImageUploadField, attachment_thumbnails, columns
from kiosk.models import Claim, ClaimAttachment
from kiosk.selectors.catalog import store_variants
from kiosk.services.catalog_items import item_fields_from_variant
from kiosk.validators import validate_two_decimals


class ItemForm(ClaimStepForm):
    payload_fields = COLLECTED_BY["item"]
    error_anchors = {"catalog_variant": "catalog-query"}
    upload_kinds = {
        "item_photos": ClaimAttachment.Kind.ITEM,
        "product_image": ClaimAttachment.Kind.PRODUCT,
    }

    item_photos = ImageUploadField(
        label=_("Photos of the item"),
        help_text=_("At least one; each is saved as soon as it is picked."),
    )
    product_image = ImageUploadField(
        multiple=False, label=_("Product image"), help_text=_("Optional: the product as sold.")
    )

    class Meta:
        model = Claim
        fields = [
            "item_name",
            "item_sku",
            "item_price",
            "item_details",
            "catalog_variant",
        ]
        labels = {
            "item_name": _("Item name"),
            "item_sku": _("SKU"),
            "catalog_variant": _("Catalog product"),
            "item_price": _("Price paid"),
            "item_details": _("Describe the problem"),
        }
        widgets = {
            "item_details": forms.Textarea(attrs={"rows": 3}),
            "catalog_variant": forms.HiddenInput(attrs={"data-catalog-variant": ""}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item_name"].required = True
        # Marked required (the label's * and the input's `required`); ImageUploadField does
        # not refuse an empty post, since photos are uploaded on their own: clean() counts them.
        self.fields["item_photos"].required = True
        self.fields["item_details"].help_text = _(
            "In the customer's words. Sent as the item's details and as the product's description."
        )
        self.fields["item_price"].widget.attrs.update({"inputmode": "decimal", "step": "0.01"})
        variant = self.fields["catalog_variant"]
        variant.queryset = store_variants(store=self.claim.store).select_related("product")
        variant.error_messages["invalid_choice"] = _(
            "That product is no longer in this store's catalog: find it again, or type it in."
        )
        self.helper.layout = Layout(
            HTML('{% include "kiosk/includes/catalog_search.html" %}'),
            "catalog_variant",
            "item_name",
            columns("item_sku", "item_price"),
            "item_details",
            "item_photos",
            attachment_thumbnails("item"),
            "product_image",
            attachment_thumbnails("product"),
        )

    def clean_item_price(self):
        price = self.cleaned_data["item_price"]
        if price is not None:
            validate_two_decimals(price)
        return price

    def clean(self):
        cleaned = super().clean()
        if not self.has_error("item_photos") and not self.attachment_count("item"):
            self.add_error("item_photos", _("Add at least one photo of the item."))
        if not self.has_error("catalog_variant"):
            fields = item_fields_from_variant(
                claim=self.claim, variant=cleaned.get("catalog_variant")
            )
            for name, value in fields.items():
                setattr(self.instance, name, value)
        return cleaned
