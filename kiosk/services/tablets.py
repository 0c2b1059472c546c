"""Shared store tablets: a manager signs one in to a store, associates unlock it by PIN.

The tablet's cookie holds "<id>:<secret>"; the database keeps the secret's SHA-256,
so a copy of the database signs in no tablet. The sign-in lasts TABLET_SIGN_IN_DAYS,
and a manager can end it from the admin.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiosk.models import AssociatePin, Store, Tablet
from kiosk.roles import ASSOCIATES
from kiosk.selectors.scoping import stores_visible_to
from kiosk.services.pin_hashing import pin_check, pin_hash

TABLET_COOKIE = "kiosk_tablet"
# The session of someone who unlocked a tablet by PIN names this backend.
PIN_BACKEND = "kiosk.auth_backends.TabletPinBackend"
PIN_MAX_LENGTH = 6


def tablet_sign_in(*, store: Store, name: str, manager: AbstractBaseUser) -> tuple[Tablet, str]:
    """Sign a tablet in to a store; returns the tablet and the value for its cookie."""
    if not manager.has_perm("kiosk.add_tablet"):
        raise PermissionDenied(_("Only a store manager can sign a tablet in."))
    if not manager.is_superuser and not store.members.filter(pk=manager.pk).exists():
        raise PermissionDenied(_("You do not manage this store."))
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
    if not (tablet_id.isascii() and tablet_id.isdigit()) or not secret:
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


def tablet_sign_out(*, tablet: Tablet, by: AbstractBaseUser, despite_waiting: bool = False) -> bool:
    """Sign a tablet out; whether it was signed in and is now signed out.

    Claims waiting on it to send (Tablet.waiting_claims, as it last reported) would be
    stranded there: unless `despite_waiting`, a tablet with any is left signed in.
    """
    tablets = Tablet.objects.filter(pk=tablet.pk, signed_out_at__isnull=True)
    if not despite_waiting:
        tablets = tablets.filter(waiting_claims=0)
    return bool(tablets.update(signed_out_at=timezone.now(), signed_out_by=by))


def pin_holders() -> QuerySet:
    """Who may have a PIN: active people with no more rights than an associate.

    A PIN opens a session without the password, so it is only for people whose rights
    are an associate's (or none): not staff, not superusers, no permission of their own
    and no group but Associates. Nobody, a superuser included, sets a manager's PIN.
    """
    beyond_associates = Group.objects.exclude(name=ASSOCIATES)
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=False, is_superuser=False)
        .exclude(user_permissions__isnull=False)
        .exclude(groups__in=beyond_associates)
    )


def tablet_associates(*, tablet: Tablet) -> list[AbstractBaseUser]:
    """Who can unlock this tablet: its store's associates who have a PIN."""
    members = pin_holders().filter(stores=tablet.store, kiosk_pin__isnull=False)
    return list(members.order_by("first_name", "last_name", "username"))


def pin_min_length_for(*, user: AbstractBaseUser) -> int:
    """The shortest PIN `user` may have: KIOSK_PIN_MIN_LENGTH, or longer where a store of
    theirs asks for it (Store.pin_min_length)."""
    stores = Store.objects.filter(members=user, pin_min_length__isnull=False)
    longest = stores.aggregate(longest=Max("pin_min_length"))["longest"]
    return max(settings.KIOSK_PIN_MIN_LENGTH, longest or 0)


def pin_validate(pin: str, *, min_length: int | None = None) -> None:
    """Refuse a PIN that is not `min_length` (KIOSK_PIN_MIN_LENGTH) to 6 digits, or that is
    easy to guess.

    Easy: one digit repeated (0000), a straight run (1234, 9876), a repeated block
    (1212, 123123), or a year from 1900 to 2099 (a birth year).
    """
    if min_length is None:
        min_length = settings.KIOSK_PIN_MIN_LENGTH
    if not (pin.isascii() and pin.isdigit() and min_length <= len(pin) <= PIN_MAX_LENGTH):
        if min_length == PIN_MAX_LENGTH:
            message = _("A PIN here is %(most)s digits.") % {"most": PIN_MAX_LENGTH}
        else:
            message = _("A PIN is %(least)s to %(most)s digits.") % {
                "least": min_length,
                "most": PIN_MAX_LENGTH,
            }
        raise ValidationError(message, code="pin_format")
    if _pin_is_trivial(pin):
        raise ValidationError(
            _(
                "That PIN is too easy to guess (a repeated digit or block, a run like 1234, "
                "or a year). Choose another."
            ),
            code="pin_trivial",
        )


def _pin_is_trivial(pin: str) -> bool:
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({0}, {1}, {-1}):
        return True
    if any(len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size) for size in (1, 2, 3)):
        return True
    return len(pin) == 4 and 1900 <= int(pin) <= 2099


def pin_set(*, user: AbstractBaseUser, pin: str, by: AbstractBaseUser | None) -> AssociatePin:
    """Set `user`'s PIN, as `by` (None: a script). Hashed; nobody can read it back.

    Raises PermissionDenied if `user` may not have a PIN (see pin_holders) or `by` does not
    work at any of `user`'s stores; ValidationError if the PIN is malformed or trivial.
    """
    if not pin_holders().filter(pk=user.pk).exists():
        raise PermissionDenied(_("Only associates have PINs: this person has more rights."))
    if by is not None and not stores_visible_to(by).filter(members=user).exists():
        raise PermissionDenied(_("You can set PINs only for the people of your stores."))
    pin_validate(pin, min_length=pin_min_length_for(user=user))
    associate_pin, _created = AssociatePin.objects.update_or_create(
        user=user,
        defaults={
            "pin_hash": pin_hash(pin),
            "length": len(pin),
            "set_by": by,
            "set_at": timezone.now(),
        },
    )
    return associate_pin


def pin_matches(*, user: AbstractBaseUser, pin: str) -> bool:
    associate_pin = AssociatePin.objects.filter(user=user).first()
    if associate_pin is None:
        pin_hash(pin)  # the same work either way: timing tells nothing
        return False
    right, store_again = pin_check(pin, associate_pin.pin_hash)
    if store_again:
        AssociatePin.objects.filter(pk=associate_pin.pk, pin_hash=associate_pin.pin_hash).update(
            pin_hash=pin_hash(pin)
        )
    return right


def pin_unlock_length(*, user: AbstractBaseUser) -> int | None:
    """How many digits `user`'s PIN has, for the pad to unlock at the last one.

    None when KIOSK_PIN_UNLOCK_AT_LAST_DIGIT is off, when `user` has no PIN, or when the
    PIN was set before its length was kept (its pad unlocks with the Unlock button only).
    """
    if not settings.KIOSK_PIN_UNLOCK_AT_LAST_DIGIT:
        return None
    return AssociatePin.objects.filter(user=user).values_list("length", flat=True).first()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
