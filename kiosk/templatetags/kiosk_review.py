"""Filters that show the API body to a person on the review step."""

import datetime
from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from kiosk.dates import long_date
from kiosk.forms.fields import warranty_period_label

register = template.Library()
register.filter("long_date", long_date)

PAYLOAD_LABELS = {
    "email": _("Email"),
    "phoneNumber": _("Phone"),
    "name": _("Item"),
    "sku": _("SKU"),
    "price": _("Price paid"),
    "details": _("Description"),
    "images": _("Item photos"),
    "productImage": _("Product image"),
    "sourceProductId": _("Product ID"),
    "sourceVariantId": _("Variant ID"),
    "sourceItemId": _("Item ID"),
    "subIssueId": _("Sub-issue ID"),
    "dateOfPurchase": _("Date of purchase"),
    "receiptRequired": _("Receipt required"),
    "receiptImages": _("Receipt photos"),
    "warrantyPeriod": _("Warranty period"),
    "productDescription": _("Product and condition"),
    "firstName": _("First name"),
    "lastName": _("Last name"),
    "address1": _("Address"),
    "address2": _("Address line 2"),
    "city": _("City"),
    "zip": _("Postal code"),
    "country": _("Country"),
    "countryAbr": _("Country code"),
    "state": _("State or province"),
    "stateAbr": _("State code"),
    "lat": _("Latitude"),
    "lng": _("Longitude"),
    "addressOrigin": _("Address origin"),
}


@register.filter
def payload_label(key: str) -> str:
    return PAYLOAD_LABELS.get(key, key)


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
        label = warranty_period_label(value)
        return label if label == value else f"{label} ({value})"
    return str(value)


@register.filter
def money(value) -> str:
    """An amount in dollars with the active language's separators (es-US as en-US): $1,234.50."""
    amount = number_format(Decimal(str(value)), decimal_pos=2, force_grouping=True)
    return gettext("$%(amount)s") % {"amount": amount}


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
