"""Lockouts after wrong passwords and PINs (django-axes' counts), as the desk manages them.

Each person has two counters: their password's (their username) and their PIN's
("pin:<username>"). kiosk/throttling.py tells axes which one an attempt is on.

A PIN has two tiers. The short one is axes' own: KIOSK_PIN_FAILURE_LIMIT wrong PINs lock
it for KIOSK_PIN_COOLOFF, and the person's own right PIN resets it. The weekly cap is
here: KIOSK_PIN_WEEKLY_FAILURE_LIMIT wrong PINs within PIN_CAP_WINDOW, counted from axes'
failure log (which no success deletes) since the latest time a manager cleared that PIN,
lock it until enough of them are PIN_CAP_WINDOW old. So nobody gets more than that many
guesses at one PIN in any PIN_CAP_WINDOW, however often its owner unlocks in between.
"""

from datetime import datetime, timedelta

from axes.models import AccessAttemptExpiration, AccessFailureLog
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Max, Min, QuerySet, Sum
from django.utils import timezone

from kiosk.models import Lockout, ManagerAction
from kiosk.selectors.scoping import stores_visible_to
from kiosk.services.manager_actions import manager_action_record
from kiosk.services.tablets import PIN_BACKEND

PIN_PREFIX = "pin:"
PIN_CAP_WINDOW = timedelta(days=7)


def lockout_username(*, username: str, pin: bool) -> str:
    """The name axes counts an attempt under: the person's PIN or their password."""
    return PIN_PREFIX + username if pin else username


def pin_capped_until(*, username: str, now: datetime | None = None) -> datetime | None:
    """When the weekly cap on `username`'s PIN lifts; None if it is not capped.

    While capped, the PIN pad refuses even the right PIN, without comparing it.
    """
    now = now or timezone.now()
    name = lockout_username(username=username, pin=True)
    since = now - PIN_CAP_WINDOW
    cleared = ManagerAction.objects.filter(
        action=ManagerAction.Action.LOCKOUT_CLEAR, detail__username=name
    ).aggregate(at=Max("at"))["at"]
    if cleared is not None and cleared > since:
        since = cleared
    failures = list(
        AccessFailureLog.objects.filter(username=name, attempt_time__gt=since)
        .order_by("attempt_time")
        .values_list("attempt_time", flat=True)
    )
    limit = settings.KIOSK_PIN_WEEKLY_FAILURE_LIMIT
    if len(failures) < limit:
        return None
    # Under the limit again once all but limit - 1 of them are out of the window.
    return failures[len(failures) - limit] + PIN_CAP_WINDOW


def pin_cap_hold(*, username: str) -> datetime | None:
    """After a wrong PIN: if `username`'s PIN is now capped, keep its lockout until then.

    axes forgets a count KIOSK_PIN_COOLOFF after its last failure; held, the count stays on
    the desk's list (and can be cleared there) for as long as the cap. Returns when the cap
    lifts, or None if it is not capped.
    """
    until = pin_capped_until(username=username)
    if until is not None:
        AccessAttemptExpiration.objects.filter(
            access_attempt__username=lockout_username(username=username, pin=True),
            expires_at__lt=until,
        ).update(expires_at=until)
    return until


def _pins_capped(*, now: datetime) -> set[str]:
    """The "pin:<username>" names whose PIN is capped now."""
    candidates = (
        AccessFailureLog.objects.filter(
            username__startswith=PIN_PREFIX, attempt_time__gt=now - PIN_CAP_WINDOW
        )
        .order_by()
        .values("username")
        .annotate(failures=Count("id"))
        .filter(failures__gte=settings.KIOSK_PIN_WEEKLY_FAILURE_LIMIT)
        .values_list("username", flat=True)
    )
    return {
        name
        for name in candidates
        if pin_capped_until(username=name.removeprefix(PIN_PREFIX), now=now) is not None
    }


def lockouts_current(*, user: AbstractBaseUser) -> QuerySet[Lockout]:
    """The people locked out now, of the stores `user` works at (a superuser: everyone's).

    One row per person and counter: a person's failures may be spread over several rows
    (one per browser string), which axes adds up.
    """
    now = timezone.now()
    counts = (
        Lockout.objects.filter(expiration__expires_at__gt=now)
        .order_by()
        .values("username")
        .annotate(failures=Sum("failures_since_start"), first=Min("pk"))
    )
    shown = {
        count["first"]
        for count in counts
        if count["failures"]
        >= (
            settings.KIOSK_PIN_FAILURE_LIMIT
            if count["username"].startswith(PIN_PREFIX)
            else settings.PASSWORD_FAILURE_LIMIT
        )
    }
    capped = (
        Lockout.objects.filter(username__in=_pins_capped(now=now))
        .order_by()
        .values("username")
        .annotate(first=Min("pk"))
    )
    shown |= {count["first"] for count in capped}
    lockouts = Lockout.objects.filter(pk__in=shown)
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
    """Clear lockouts (each one on the record, as `by`'s action); returns how many.

    Clearing a PIN's lockout lifts both tiers: the short count is deleted, and the weekly
    cap counts only the failures after the recorded clear.
    """
    cleared = 0
    for lockout in lockouts_current(user=by).filter(pk__in=lockouts.values("pk")):
        with transaction.atomic():
            rows = Lockout.objects.select_for_update().filter(username=lockout.username)
            manager_action_record(
                user=by,
                action=ManagerAction.Action.LOCKOUT_CLEAR,
                detail={
                    "username": lockout.username,
                    "failures": sum(row.failures_since_start for row in rows),
                    "ip_address": lockout.ip_address,
                    "last_failure": lockout.attempt_time.isoformat(),
                },
            )
            rows.delete()
        cleared += 1
    return cleared


def lockout_reset_on_login(sender, request, user, **kwargs) -> None:
    """A login resets that person's own count for what they signed in with, nobody else's.

    A PIN unlock resets their PIN's short count, not their password's, and not the weekly
    cap: the failure log it counts is left alone.
    """
    if request is None:
        return
    pin = request.session.get(BACKEND_SESSION_KEY) == PIN_BACKEND
    Lockout.objects.filter(
        username=lockout_username(username=user.get_username(), pin=pin)
    ).delete()
