"""The claim's page at the desk: first what a manager decides on (the customer, the item,
the issue, the photos, the warranty and anything to watch), in people's words; the
delivery record and the codes sent come after it, folded (see ClaimAdmin.fieldsets).
"""

from dataclasses import dataclass, field

from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kiosk.admin.claim_risk import risk_badge
from kiosk.display import (
    local_date,
    local_time,
    money,
    phone_display,
)
from kiosk.followup.claim_state import claim_state_label
from kiosk.geography import country_display_name, subdivision_display_name
from kiosk.models import Claim, ClaimAttachment
from kiosk.selectors.timeline import claim_timeline
from kiosk.services.attachments import attachment_staff_url
from kiosk.services.coverage import claim_coverage
from kiosk.warranty_period import warranty_period_words


@dataclass(frozen=True)
class Card:
    """A titled box of label/value rows; rows without a value are left out."""

    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    wide: bool = False

    @property
    def shown_rows(self) -> list[tuple[str, str]]:
        return [(label, value) for label, value in self.rows if value not in ("", None)]


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def address_lines(claim: Claim) -> str:
    """The shipping address as it is written on a parcel, with the state and country named."""
    state = subdivision_display_name(claim.ship_state) if claim.ship_state else ""
    city_line = " ".join(filter(None, [f"{claim.ship_city}," if claim.ship_city else "", state]))
    lines = [
        claim.ship_address1,
        claim.ship_address2,
        " ".join(filter(None, [city_line, claim.ship_zip])),
        country_display_name(claim.ship_country) if claim.ship_country else "",
    ]
    return format_html_join("", "{}<br>", ((line,) for line in lines if line))


def catalog_product(claim: Claim) -> str:
    variant = claim.catalog_variant
    if variant is None:
        return _("No, typed in")
    url = reverse("admin:kiosk_product_change", args=[variant.product_id])
    claims = reverse("admin:kiosk_claim_changelist") + f"?product={variant.product_id}"
    return format_html(
        '<a href="{}">{}</a> · <a href="{}">{}</a>',
        url,
        variant,
        claims,
        _("every claim of this product"),
    )


def photos_html(claim: Claim, kind: str) -> str:
    """The photos of one kind (removed ones marked), each opening the full image."""
    photos = [a for a in claim.attachments.all() if a.kind == kind]
    if not photos:
        return ""
    return format_html_join(
        "",
        "<figure class='audit-figure'><a href='{0}' target='_blank' title='{2}'>"
        "<img src='{1}' alt='{2}' class='audit-photo'></a><figcaption>{2}{3}</figcaption>"
        "</figure>",
        (
            (
                attachment_staff_url(attachment=a),
                attachment_staff_url(attachment=a, thumbnail=True),
                a.get_kind_display(),
                _(" (removed)") if a.removed_at else "",
            )
            for a in photos
        ),
    )


def signature_html(claim: Claim) -> str:
    signatures = claim.attachments_of(ClaimAttachment.Kind.SIGNATURE)
    if not signatures:
        return _("No signature")
    return format_html(
        "<a href='{}'><img src='{}' alt='{}' class='audit-signature'></a>",
        attachment_staff_url(attachment=signatures[-1]),
        attachment_staff_url(attachment=signatures[-1], thumbnail=True),
        _("Signature"),
    )


def signed_how(claim: Claim) -> str:
    signatures = claim.attachments_of(ClaimAttachment.Kind.SIGNATURE)
    if not signatures:
        return ""
    if signatures[-1].typed:
        return _("Typed: the customer typed their name, drawn as the signature")
    return _("Drawn on the tablet")


def claim_cards(claim: Claim) -> list[Card]:
    """The customer, the item, the issue, the warranty and the photos, in that order."""
    coverage = claim_coverage(claim=claim)
    kinds = ClaimAttachment.Kind
    return [
        Card(
            _("Customer"),
            [
                (_("Name"), claim.customer_name),
                (_("Email"), claim.customer_email),
                (_("Phone"), phone_display(claim.customer_phone)),
                (_("Ship to"), address_lines(claim)),
                (_("Language"), claim.get_customer_language_display()),
            ],
        ),
        Card(
            _("Item"),
            [
                (_("Item"), claim.item_name),
                (_("SKU"), claim.item_sku),
                (_("Price paid"), money(claim.item_price)),
                (_("From the catalog"), catalog_product(claim)),
                (_("What is wrong"), claim.item_details),
            ],
        ),
        Card(
            _("Issue and resolution"),
            [
                (_("Issue"), claim.get_issue_type_display()),
                (_("Resolution"), claim.get_resolution_display()),
                (_("Claim category"), claim.get_claim_category_display()),
                (_("Sold"), claim.get_sales_channel_display()),
                (_("From valet"), yes_no(claim.from_valet)),
                (
                    _("OrderProtection asks the customer to sign"),
                    yes_no(claim.require_customer_signature),
                ),
            ],
        ),
        Card(
            _("Warranty"),
            [
                (_("Date of purchase"), local_date(claim.date_of_purchase)),
                (_("Warranty period"), warranty_period_words(claim.warranty_period)),
                (_("Coverage today"), coverage.label if coverage else ""),
                (_("Override reason"), claim.warranty_override_reason),
                (_("Receipt required"), yes_no(claim.receipt_required)),
                (_("Product and condition"), claim.product_description),
            ],
        ),
        Card(
            _("Photos and signature"),
            [
                (_("Item photos"), photos_html(claim, kinds.ITEM) or _("No item photos")),
                (_("Receipt photos"), photos_html(claim, kinds.RECEIPT)),
                (_("Signature"), signature_html(claim)),
                (_("How it was signed"), signed_how(claim)),
            ],
            wide=True,
        ),
    ]


def claim_headline(claim: Claim) -> list[tuple[str, str]]:
    """Where the claim stands, as label/value pairs under its number."""
    state = claim_state_label(claim.claim_state) if claim.claim_state else ""
    submitted = local_time(claim.submitted_at, claim.store.time_zone)
    pairs = [
        (_("Reference"), claim.reference),
        (_("State at OrderProtection"), state),
        (_("Store"), str(claim.store)),
        (_("Associate"), str(claim.created_by)),
        (_("Submitted"), submitted if claim.submitted_at else ""),
        (_("Risk"), format_html('<a href="#risk">{}</a>', risk_badge(claim)))
        if claim.submitted_at
        else ("", ""),
    ]
    return [(label, value) for label, value in pairs if value]


def claim_page_context(claim: Claim) -> dict:
    number = claim.claim_number or claim.reference
    return {
        "title": pgettext("page title", "Claim %(number)s") % {"number": number},
        "subtitle": None,
        "claim_headline": claim_headline(claim),
        "claim_cards": claim_cards(claim),
        "timeline": claim_timeline(claim=claim),
        "store_zone": claim.store.time_zone,
    }


def claim_history_view(model_admin, request, claim: Claim) -> TemplateResponse:
    """History: the claim's own timeline, not Django's change log (nobody changes a claim
    at the desk, so that log is always empty)."""
    context = model_admin.admin_site.each_context(request) | {
        "title": _("History of claim %(number)s") % {"number": claim},
        "subtitle": None,
        "opts": model_admin.opts,
        "original": claim,
        "timeline": claim_timeline(claim=claim),
        "store_zone": claim.store.time_zone,
        "has_view_permission": True,
    }
    return TemplateResponse(request, "admin/kiosk/claim/object_history.html", context)
