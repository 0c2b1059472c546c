"""Filters that show the API body to a person on the review step."""

import datetime

from django import template

from kiosk.forms.fields import warranty_period_label

register = template.Library()

PAYLOAD_LABELS = {
    "email": "Email",
    "phoneNumber": "Phone",
    "name": "Item",
    "sku": "SKU",
    "price": "Price paid",
    "details": "Description",
    "images": "Item photos",
    "productImage": "Product image",
    "sourceProductId": "Product ID",
    "sourceVariantId": "Variant ID",
    "sourceItemId": "Item ID",
    "subIssueId": "Sub-issue ID",
    "dateOfPurchase": "Date of purchase",
    "receiptRequired": "Receipt required",
    "receiptImages": "Receipt photos",
    "warrantyPeriod": "Warranty period",
    "productDescription": "Product and condition",
    "firstName": "First name",
    "lastName": "Last name",
    "address1": "Address",
    "address2": "Address line 2",
    "city": "City",
    "zip": "Postal code",
    "country": "Country",
    "countryAbr": "Country code",
    "state": "State or province",
    "stateAbr": "State code",
    "lat": "Latitude",
    "lng": "Longitude",
    "addressOrigin": "Address origin",
}


@register.filter
def payload_label(key: str) -> str:
    return PAYLOAD_LABELS.get(key, key)


@register.filter
def payload_value(value, key: str) -> str:
    """A sent value as a person reads it: dates, periods and yes/no spelled out."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if key == "dateOfPurchase":
        return f"{datetime.date.fromisoformat(value[:10]):%B %-d, %Y}"
    if key == "warrantyPeriod":
        label = warranty_period_label(value)
        return label if label == value else f"{label} ({value})"
    return str(value)


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
