"""The demo logins `make run` creates: once, never reset, removable."""

import re

from django.contrib.auth import get_user_model
from django.core.management import call_command

from kiosk.demo.seed import DEMO_LOGINS, DEMO_STORE_ID, demo_setup
from kiosk.models import AssociatePin, Store
from kiosk.services.tablets import pin_matches, pin_set
from tests.factories import ClaimFactory, UserFactory

DEMO = {login.role: login for login in DEMO_LOGINS}


def seed_demo(*args: str, capsys) -> str:
    call_command("seed_demo", "--allow-production", *args)
    return capsys.readouterr().out


def test_seed_demo_creates_the_store_and_prints_the_logins_once(db, capsys):
    first = seed_demo(capsys=capsys)
    second = seed_demo(capsys=capsys)

    store = Store.objects.get(source_store_id=DEMO_STORE_ID)
    assert store.members.count() == len(DEMO_LOGINS)
    assert get_user_model().objects.get(username="manager").check_password("manager-demo-1")
    assert "password: manager-demo-1" in first and "PIN: 2580" in first
    assert "manager-demo-1" not in second and "2580" not in second
    assert re.search(r"username: manager +exists", second)
    assert "seed_demo --remove" in first and "seed_demo --remove" in second


def test_seed_demo_never_resets_a_changed_password_or_pin(db, capsys):
    seed_demo(capsys=capsys)
    user_model = get_user_model()
    manager = user_model.objects.get(username="manager")
    manager.set_password("a manager's own password")
    manager.save()
    associate = user_model.objects.get(username="associate")
    associate.set_password("an associate's own password")
    associate.save()
    pin_set(user=associate, pin="7391", by=manager)

    seed_demo(capsys=capsys)

    manager.refresh_from_db()
    associate.refresh_from_db()
    assert manager.check_password("a manager's own password")
    assert not manager.check_password(DEMO["manager"].password)
    assert associate.check_password("an associate's own password")
    assert pin_matches(user=associate, pin="7391")
    assert not pin_matches(user=associate, pin=DEMO["associate"].pin)


def test_seed_demo_leaves_a_taken_username_alone(db, capsys):
    someone = UserFactory(username="manager", first_name="Sam")

    output = seed_demo(capsys=capsys)
    seed_demo("--remove", capsys=capsys)

    someone.refresh_from_db()
    assert someone.check_password("correct horse battery")
    assert someone.is_active and not someone.stores.exists()
    assert "manager-demo-1" not in output


def test_seed_demo_remove_deletes_the_logins_and_they_are_not_created_again(db, capsys):
    seed_demo(capsys=capsys)

    removed = seed_demo("--remove", capsys=capsys)
    after = seed_demo(capsys=capsys)

    assert "Removed the demo login manager." in removed
    assert not get_user_model().objects.filter(username__in=["manager", "associate"]).exists()
    assert "were removed" in after
    assert demo_setup().created == ()


def test_seed_demo_remove_deactivates_a_demo_associate_that_claims_name(db, capsys):
    setup = demo_setup()
    associate = get_user_model().objects.get(username="associate")
    ClaimFactory(store=setup.store, created_by=associate)

    removed = seed_demo("--remove", capsys=capsys)

    associate.refresh_from_db()
    assert "Deactivated the demo login associate" in removed
    assert not associate.is_active and not associate.has_usable_password()
    assert not AssociatePin.objects.filter(user=associate).exists()
