"""The demo store and logins that `make run` sets up."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from kiosk.models import Store
from kiosk.roles import ASSOCIATES, STORE_MANAGERS
from kiosk.services.tablets import pin_set


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


@transaction.atomic
def demo_setup() -> tuple[Store, tuple[DemoLogin, ...]]:
    """Create (or reset) the demo store and its associate and manager. Idempotent."""
    store, _ = Store.objects.update_or_create(
        source_store_id="store_demo_001",
        defaults={
            "name": "Demo Store — Main Street",
            "default_country": "US",
            "default_state": "US-NY",
            "time_zone": "America/New_York",
        },
    )
    user_model = get_user_model()
    for login in DEMO_LOGINS:
        user, _ = user_model.objects.get_or_create(username=login.username)
        user.first_name = login.role.title()
        user.last_name = "Demo"
        user.is_staff = login.role == "manager"
        user.set_password(login.password)
        user.save()
        store.members.add(user)
        role = STORE_MANAGERS if login.role == "manager" else ASSOCIATES
        user.groups.set([Group.objects.get(name=role)])
        if login.pin:
            pin_set(user=user, pin=login.pin, by=None)
    return store, DEMO_LOGINS
