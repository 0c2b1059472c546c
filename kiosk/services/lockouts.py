"""Lockouts after wrong passwords and PINs (django-axes' counts), as the desk manages them.

Each person has two counters: their password's (their username) and their PIN's
("pin:<username>"). kiosk/throttling.py tells axes which one an attempt is on.
"""

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from kiosk.models import Lockout, ManagerAction
from kiosk.services.manager_actions import manager_action_record
from kiosk.services.scoping import stores_visible_to
from kiosk.services.tablets import PIN_BACKEND

PIN_PREFIX = "pin:"


def lockout_username(*, username: str, pin: bool) -> str:
    """The name axes counts an attempt under: the person's PIN or their password."""
    return PIN_PREFIX + username if pin else username


def lockouts_current(*, user: AbstractBaseUser) -> QuerySet[Lockout]:
    """The people locked out now, of the stores `user` works at (a superuser: everyone's)."""
    locked = Q(
        username__startswith=PIN_PREFIX, failures_since_start__gte=settings.KIOSK_PIN_FAILURE_LIMIT
    )
    locked |= ~Q(username__startswith=PIN_PREFIX) & Q(
        failures_since_start__gte=settings.PASSWORD_FAILURE_LIMIT
    )
    lockouts = Lockout.objects.filter(locked, expiration__expires_at__gt=timezone.now())
    if user.is_superuser:
        return lockouts
    people = (
        get_user_model()
        .objects.filter(stores__in=stores_visible_to(user))
        .values_list("username", flat=True)
    )
    names = set(people)
    return lockouts.filter(username__in=names | {PIN_PREFIX + name for name in names})


def lockouts_clear(*, lockouts: QuerySet[Lockout], by: AbstractBaseUser) -> int:
    """Clear lockouts (each one on the record, as `by`'s action); returns how many."""
    cleared = 0
    for lockout in lockouts_current(user=by).filter(pk__in=lockouts.values("pk")):
        with transaction.atomic():
            manager_action_record(
                user=by,
                action=ManagerAction.Action.LOCKOUT_CLEAR,
                detail={
                    "username": lockout.username,
                    "failures": lockout.failures_since_start,
                    "ip_address": lockout.ip_address,
                    "last_failure": lockout.attempt_time.isoformat(),
                },
            )
            lockout.delete()
        cleared += 1
    return cleared


def lockout_reset_on_login(sender, request, user, **kwargs) -> None:
    """A password login resets that person's own password counter, and nobody else's.

    Not after a PIN: a PIN's wrong tries are forgotten only with time or by a manager,
    so that the person's own unlocks do not hand someone guessing their PIN fresh tries.
    """
    if request is None or request.session.get(BACKEND_SESSION_KEY) == PIN_BACKEND:
        return
    Lockout.objects.filter(
        username=lockout_username(username=user.get_username(), pin=False)
    ).delete()
