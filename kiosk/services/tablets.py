"""Shared store tablets: a manager signs one in to a store, associates unlock it by PIN.

The tablet's cookie holds "<id>:<secret>"; the database keeps the secret's SHA-256,
so a copy of the database signs in no tablet. The sign-in lasts TABLET_SIGN_IN_DAYS,
and a manager can end it from the admin.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kiosk.models import AssociatePin, Store, Tablet

TABLET_COOKIE = "kiosk_tablet"
PIN_LENGTHS = range(4, 7)


def tablet_sign_in(*, store: Store, name: str, manager: AbstractBaseUser) -> tuple[Tablet, str]:
    """Sign a tablet in to a store; returns the tablet and the value for its cookie."""
    if not manager.has_perm("kiosk.add_tablet"):
        raise PermissionDenied("Only a store manager can sign a tablet in.")
    if not manager.is_superuser and not store.members.filter(pk=manager.pk).exists():
        raise PermissionDenied("You do not manage this store.")
    secret = secrets.token_urlsafe(32)
    tablet = Tablet.objects.create(
        store=store,
        name=name,
        secret_hash=_digest(secret),
        signed_in_by=manager,
        expires_at=timezone.now() + timedelta(days=settings.TABLET_SIGN_IN_DAYS),
    )
    return tablet, f"{tablet.pk}:{secret}"


def tablet_from_cookie(value: str) -> Tablet | None:
    """The signed-in tablet a cookie names, or None (unknown, expired or signed out)."""
    tablet_id, _, secret = value.partition(":")
    if not tablet_id.isdigit() or not secret:
        return None
    tablet = Tablet.objects.signed_in().select_related("store").filter(pk=tablet_id).first()
    if tablet is None or not secrets.compare_digest(tablet.secret_hash, _digest(secret)):
        return None
    return tablet


def tablet_seen(*, tablet: Tablet) -> None:
    """Note that the tablet is in use, at most once a minute."""
    now = timezone.now()
    if tablet.last_seen_at is None or now - tablet.last_seen_at > timedelta(minutes=1):
        Tablet.objects.filter(pk=tablet.pk).update(last_seen_at=now)


def tablet_sign_out(*, tablet: Tablet, by: AbstractBaseUser) -> None:
    Tablet.objects.filter(pk=tablet.pk, signed_out_at__isnull=True).update(
        signed_out_at=timezone.now(), signed_out_by=by
    )


def tablet_associates(*, tablet: Tablet) -> list[AbstractBaseUser]:
    """Who can unlock this tablet: its store's active members who have a PIN."""
    members = tablet.store.members.filter(is_active=True, kiosk_pin__isnull=False)
    return list(members.order_by("first_name", "last_name", "username"))


def pin_set(*, user: AbstractBaseUser, pin: str, by: AbstractBaseUser | None) -> AssociatePin:
    if not (pin.isascii() and pin.isdigit() and len(pin) in PIN_LENGTHS):
        raise ValidationError("A PIN is 4 to 6 digits.", code="pin_format")
    associate_pin, _ = AssociatePin.objects.update_or_create(
        user=user,
        defaults={"pin_hash": make_password(pin), "set_by": by, "set_at": timezone.now()},
    )
    return associate_pin


def pin_matches(*, user: AbstractBaseUser, pin: str) -> bool:
    associate_pin = AssociatePin.objects.filter(user=user).first()
    if associate_pin is None:
        make_password(pin)  # the same work either way: timing tells nothing
        return False
    return check_password(pin, associate_pin.pin_hash)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
