from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kiosk.choices import ClaimCategory, ClaimFiledFrom, Language, Resolution, SalesChannel
from kiosk.validators import (
    validate_country_code,
    validate_iso_duration,
    validate_subdivision_code,
    validate_time_zone,
)


def default_time_zone() -> str:
    return settings.TIME_ZONE


class Store(models.Model):
    """A physical store, with the policy its claims are filed under."""

    name = models.CharField(max_length=200)
    source_store_id = models.CharField(
        "OrderProtection storeId", max_length=100, unique=True, help_text="Sent as storeId."
    )
    default_country = models.CharField(
        max_length=2,
        default="US",
        validators=[validate_country_code],
        help_text="ISO 3166 code: the default region for phone numbers and addresses.",
    )
    default_state = models.CharField(
        max_length=10,
        blank=True,
        validators=[validate_subdivision_code],
        help_text="ISO 3166-2 code, e.g. US-NY: the state most customers' addresses are in.",
    )
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="IANA name, e.g. America/New_York: the store's today, for warranty coverage.",
    )
    language = models.CharField(
        max_length=8,
        choices=Language,
        default=Language.ENGLISH,
        verbose_name=_("language"),
        help_text=_(
            "The tablet's language for associates who chose none, and each new claim's "
            "customer language (the customer can switch it)."
        ),
    )
    receipt_required = models.BooleanField(default=True)
    signature_required = models.BooleanField(default=True)
    # Allowed unless a store turns it off: without it a customer who cannot draw on the
    # screen (a keyboard, a switch, a screen reader, an unsteady hand) cannot sign at all.
    typed_signature_allowed = models.BooleanField(
        _("typed signature allowed"),
        default=True,
        help_text=_(
            "The customer may type their full name instead of drawing their signature; "
            "it is sent as the signature image, and the claim records that it was typed."
        ),
    )
    default_warranty_period = models.CharField(
        max_length=32, default="P1Y", validators=[validate_iso_duration]
    )
    default_sales_channel = models.CharField(
        max_length=16, choices=SalesChannel, default=SalesChannel.IN_STORE
    )
    default_claim_category = models.CharField(
        max_length=16, choices=ClaimCategory, default=ClaimCategory.WARRANTY
    )
    default_claim_filed_from = models.CharField(
        max_length=16, choices=ClaimFiledFrom, default=ClaimFiledFrom.EXTERNAL
    )
    default_resolution = models.CharField(
        max_length=16,
        choices=Resolution,
        blank=True,
        help_text="Preselected on new claims; the associate can change it. "
        "Empty: the associate chooses every time.",
    )
    default_address_origin = models.CharField(max_length=64, blank=True)
    default_from_valet = models.BooleanField(default=False)
    default_require_customer_signature = models.BooleanField(default=False)
    pin_min_length = models.PositiveSmallIntegerField(
        "shortest PIN",
        null=True,
        blank=True,
        choices=[(4, "4 digits"), (5, "5 digits"), (6, "6 digits")],
        help_text="For this store's associates; empty: the portal's KIOSK_PIN_MIN_LENGTH. "
        "Applies to PINs set afterwards.",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="stores",
        blank=True,
        help_text="Associates and managers who work at this store.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.default_state and not self.default_state.startswith(f"{self.default_country}-"):
            raise ValidationError({"default_state": "Choose a state of the store's country."})
