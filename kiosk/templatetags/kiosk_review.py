"""Filters that show the API body to a person on the review step."""

import datetime

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiosk import geography
from kiosk.warranty_period import warranty_period_words

register = template.Library()

# Codes the review does not show: the names beside them say the same in people's words
# ("Show the exact request" keeps them).
CODE_KEYS = {"countryAbr", "stateAbr"}

PAYLOAD_LABELS = {
    "email": gettext_lazy("Email"),
    "phoneNumber": gettext_lazy("Phone"),
    "name": gettext_lazy("Item"),
    "sku": gettext_lazy("SKU"),
    "price": gettext_lazy("Price paid"),
    "details": gettext_lazy("Description of the problem"),
    "images": gettext_lazy("Item photos"),
    "productImage": gettext_lazy("Product image"),
    "sourceProductId": gettext_lazy("Product ID"),
    "sourceVariantId": gettext_lazy("Variant ID"),
    "sourceItemId": gettext_lazy("Item ID"),
    "subIssueId": gettext_lazy("Sub-issue ID"),
    "dateOfPurchase": gettext_lazy("Date of purchase"),
    "receiptRequired": gettext_lazy("Receipt required"),
    "receiptImages": gettext_lazy("Receipt photos"),
    "warrantyPeriod": gettext_lazy("Warranty period"),
    "productDescription": gettext_lazy("Product and condition"),
    "firstName": gettext_lazy("First name"),
    "lastName": gettext_lazy("Last name"),
    "address1": gettext_lazy("Address"),
    "address2": gettext_lazy("Address line 2"),
    "city": gettext_lazy("City"),
    "zip": gettext_lazy("Postal code"),
    "country": gettext_lazy("Country"),
    "state": gettext_lazy("State or province"),
    "lat": gettext_lazy("Latitude"),
    "lng": gettext_lazy("Longitude"),
    "addressOrigin": gettext_lazy("Address origin"),
}


@register.filter
def payload_label(key: str) -> str:
    return PAYLOAD_LABELS.get(key, key)


@register.filter
def payload_shown(key: str) -> bool:
    """Whether the review shows a sent key to people (codes are left to the exact request)."""
    return key not in CODE_KEYS


@register.filter
def payload_value(value, key: str) -> str:
    """A sent value as a person reads it: dates, periods and yes/no spelled out."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key == "dateOfPurchase":
        return f"{datetime.date.fromisoformat(value[:10]):%B %-d, %Y}"
    if key == "warrantyPeriod":
        return warranty_period_words(value)
    return str(value)


@register.simple_tag
def payload_words(key: str, value, claim) -> str:
    """payload_value, with the country and the state named in the reader's language from
    the claim's codes, whatever ORDERPROTECTION_STATE_VALUE sends."""
    if key == "country" and claim.ship_country:
        return geography.country_display_name(claim.ship_country)
    if key == "state" and claim.ship_state:
        return geography.subdivision_display_name(claim.ship_state)
    return payload_value(value, key)


@register.filter
def masked(contact: str) -> str:
    """ "jane.doe@example.com" -> "j•••@example.com": enough to recognise, not to read off."""
    if not contact:
        return ""
    name, at, domain = contact.partition("@")
    if at:
        return f"{name[:1]}•••@{domain}"
    return f"•••{contact[-4:]}"


@register.filter
def duration_words(value) -> str:
    """timedelta(minutes=15) -> "15 minutes": in seconds under a minute, in hours from two
    hours, in days from two days."""
    seconds = int(value.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= 2 * size or (unit == "minute" and seconds >= size):
            count = round(seconds / size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
