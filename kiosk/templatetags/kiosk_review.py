"""Filters that show the API body to a person on the review step."""

import datetime

from django import template
from django.utils.translation import gettext, gettext_lazy, ngettext

from kiosk import geography
from kiosk.dates import long_date
from kiosk.display import money
from kiosk.warranty_period import warranty_period_words

register = template.Library()
register.filter("long_date", long_date)
register.filter("money", money)

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
        return gettext("Yes") if value else gettext("No")
    if key == "dateOfPurchase":
        return long_date(datetime.date.fromisoformat(value[:10]))
    if key == "price" and value is not None:
        return money(value)
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
    words = {
        "day": lambda n: ngettext("%(count)d day", "%(count)d days", n),
        "hour": lambda n: ngettext("%(count)d hour", "%(count)d hours", n),
        "minute": lambda n: ngettext("%(count)d minute", "%(count)d minutes", n),
    }
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= 2 * size or (unit == "minute" and seconds >= size):
            count = round(seconds / size)
            return words[unit](count) % {"count": count}
    return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
