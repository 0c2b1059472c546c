"""Validators and normalisers for what associates type in."""

import datetime
import uuid
import zoneinfo
from decimal import Decimal

import phonenumbers
import pycountry
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kiosk.geography import country_display_name
from kiosk.warranty_period import WarrantyPeriodInvalid, warranty_period_parse


def validate_country_code(value: str) -> None:
    if pycountry.countries.get(alpha_2=value) is None:
        raise ValidationError(
            _("%(value)s is not an ISO 3166 country code."), params={"value": value}
        )


def validate_subdivision_code(value: str) -> None:
    if value and pycountry.subdivisions.get(code=value) is None:
        raise ValidationError(
            _("%(value)s is not an ISO 3166-2 code such as US-NY."), params={"value": value}
        )


def validate_iso_duration(value: str) -> None:
    """Accept a warranty period: an ISO-8601 duration such as P1Y, P6M, P90D or P1Y6M,
    longer than zero, whose end date can be worked out (see warranty_period_parse)."""
    try:
        period = warranty_period_parse(period=value)
    except WarrantyPeriodInvalid as refused:
        raise ValidationError(str(refused), code=refused.code) from None
    if period.is_zero:
        raise ValidationError(_("Enter a duration longer than zero, such as P1Y."), code="zero")


def validate_time_zone(value: str) -> None:
    """Accept an IANA time zone name, such as America/New_York."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("%(value)s is not an IANA time zone, such as America/New_York or Europe/Berlin."),
            code="time_zone",
            params={"value": value},
        ) from None


def normalise_phone_number(value: str, *, default_region: str) -> str:
    """Parse a phone number typed at the counter and return it in E.164."""
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter a phone number, such as 212 555 0100 or +44 20 7946 0958."), code="unparsable"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "This is not a valid phone number in %(country)s. For a number from "
                "another country, start with + and the country code."
            ),
            code="invalid",
            params={"country": country_display_name(default_region)},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_not_in_future(value: datetime.date, *, today: datetime.date | None = None) -> None:
    if value > (today or timezone.localdate()):
        raise ValidationError(_("The date of purchase cannot be in the future."), code="future")


def validate_two_decimals(value: Decimal) -> None:
    if value.as_tuple().exponent < -2:
        raise ValidationError(_("Use at most two decimals, such as 99.99."), code="decimals")


def validate_latitude(value: Decimal) -> None:
    if not Decimal(-90) <= value <= Decimal(90):
        raise ValidationError(_("Latitude must be between -90 and 90."), code="range")


def validate_longitude(value: Decimal) -> None:
    if not Decimal(-180) <= value <= Decimal(180):
        raise ValidationError(_("Longitude must be between -180 and 180."), code="range")


def tablet_made_id(value: str | None) -> uuid.UUID | None:
    """An id the tablet made for a claim's save or photo, as posted; None if none or malformed."""
    if not value or len(value) > 36:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
