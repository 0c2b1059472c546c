"""The demo store and logins that `make run` sets up, once.

The demo passwords and PIN are public (the README lists them), so they are only ever
set when a login is created: a later run never resets what someone changed, and once
the demo store exists nothing is created again, so removed logins stay removed.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.db.models import ProtectedError

from kiosk.choices import Resolution
from kiosk.models import AssociatePin, Store
from kiosk.roles import ASSOCIATES, STORE_MANAGERS
from kiosk.services.tablets import pin_set

DEMO_STORE_ID = "store_demo_001"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    pin: str = ""


DEMO_LOGINS = (
    DemoLogin("associate", "associate", "associate-demo-1", pin="2580"),
    DemoLogin("manager", "manager", "manager-demo-1"),
)


@dataclass(frozen=True)
class DemoSetup:
    store: Store
    # Created by this call, with their public passwords.
    created: tuple[DemoLogin, ...]
    # Created by an earlier call and still there; their passwords may have changed.
    existing: tuple[DemoLogin, ...]


@dataclass(frozen=True)
class DemoRemoval:
    deleted: tuple[str, ...]
    # Kept because claims or audit records name them, but unable to log in.
    deactivated: tuple[str, ...]


@transaction.atomic
def demo_setup() -> DemoSetup:
    """Create the demo store and its associate and manager, if the store does not exist yet.

    A username already taken is left alone. Nothing that exists is changed, so a run
    never resets a password or PIN, and logins removed after the first run stay removed.
    """
    store, store_created = Store.objects.get_or_create(
        source_store_id=DEMO_STORE_ID,
        defaults={
            "name": "Demo Store — Main Street",
            "default_country": "US",
            "default_state": "US-NY",
            "time_zone": "America/New_York",
            "default_resolution": Resolution.RESHIP,
        },
    )
    if not store_created:
        return DemoSetup(store=store, created=(), existing=_demo_logins_of(store))
    user_model = get_user_model()
    created = []
    for login in DEMO_LOGINS:
        if user_model.objects.filter(username=login.username).exists():
            continue
        user = user_model.objects.create_user(
            username=login.username,
            password=login.password,
            first_name=login.role.title(),
            last_name="Demo",
            is_staff=login.role == "manager",
        )
        store.members.add(user)
        role = STORE_MANAGERS if login.role == "manager" else ASSOCIATES
        user.groups.set([Group.objects.get(name=role)])
        if login.pin:
            pin_set(user=user, pin=login.pin, by=None)
        created.append(login)
    return DemoSetup(store=store, created=tuple(created), existing=())


@transaction.atomic
def demo_remove() -> DemoRemoval:
    """Remove the demo logins (the demo usernames among the demo store's members).

    A login that claims or audit records name is kept for them, but deactivated: no
    password, no PIN. The demo store stays, so `demo_setup` creates nothing again.
    """
    store = Store.objects.filter(source_store_id=DEMO_STORE_ID).first()
    if store is None:
        return DemoRemoval(deleted=(), deactivated=())
    deleted, deactivated = [], []
    for user in _demo_users_of(store):
        try:
            with transaction.atomic():
                user.delete()
            deleted.append(user.get_username())
        except ProtectedError:
            _deactivate(user)
            deactivated.append(user.get_username())
    return DemoRemoval(deleted=tuple(deleted), deactivated=tuple(deactivated))


def _demo_users_of(store: Store) -> list[AbstractBaseUser]:
    usernames = [login.username for login in DEMO_LOGINS]
    return list(store.members.filter(username__in=usernames, is_active=True))


def _demo_logins_of(store: Store) -> tuple[DemoLogin, ...]:
    present = {user.get_username() for user in _demo_users_of(store)}
    return tuple(login for login in DEMO_LOGINS if login.username in present)


def _deactivate(user: AbstractBaseUser) -> None:
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["is_active", "password"])
    AssociatePin.objects.filter(user=user).delete()
