"""No one takes over a tablet (issue 15, findings 1-3): PINs only for associates, PIN
sessions never at the desk, wrong PINs counted against the person guessed, and lockouts
that stop the guesser, not the store."""

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from kiosk import auth_backends
from kiosk.models import AssociatePin, ManagerAction
from kiosk.roles import STORE_MANAGERS
from kiosk.services.tablets import TABLET_COOKIE, pin_set, pin_validate, tablet_sign_in
from tests.factories import StoreFactory, UserFactory

PASSWORD = "correct horse battery"
ALEX_PIN, BOB_PIN = "4821", "7350"


@pytest.fixture
def bob(store, manager):
    """A second associate of the store: the one being guessed."""
    user = UserFactory(username="bob", first_name="Bob")
    store.members.add(user)
    pin_set(user=user, pin=BOB_PIN, by=manager)
    return user


@pytest.fixture
def tablet_client(store, manager, associate):
    """Makes clients that are tablets signed in to the store (the associate has a PIN)."""
    pin_set(user=associate, pin=ALEX_PIN, by=manager)

    def make(name: str = "Counter 1", **headers) -> Client:
        _, cookie = tablet_sign_in(store=store, name=name, manager=manager)
        client = Client(**headers)
        client.cookies[TABLET_COOKIE] = cookie
        return client

    return make


def unlock(client: Client, user, pin: str, **headers):
    return client.post(reverse("kiosk:unlock-pin", args=[user.pk]), {"pin": pin}, **headers)


def lock(client: Client) -> None:
    client.post(reverse("kiosk:lock"))


def password_login(client: Client, username: str, password: str = PASSWORD, **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


def make_manager(username: str, *stores, **fields):
    user = UserFactory(username=username, is_staff=True, **fields)
    user.groups.add(Group.objects.get(name=STORE_MANAGERS))
    for store in stores:
        store.members.add(user)
    return user


# --- Finding 1: a PIN never opens more than an associate's rights ---------------------


def test_a_manager_can_set_pins_only_for_associates_of_their_stores(client, store, manager):
    store_b = StoreFactory(name="B", source_store_id="store_b", members=[manager])
    regional = make_manager("regional", store, store_b)
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    store_b.members.add(root)
    clerk = UserFactory(username="clerk")
    store_b.members.add(clerk)
    client.force_login(manager)
    url = reverse("admin:kiosk_associatepin_add")

    offered = client.get(url).content.decode().split('name="user"')[1].split("</select>")[0]
    refused = client.post(url, {"user": regional.pk, "pin": "5830"})
    refused_root = client.post(url, {"user": root.pk, "pin": "5830"})
    saved = client.post(url, {"user": clerk.pk, "pin": "5830"})

    assert "clerk" in offered and "regional" not in offered and "root" not in offered
    assert refused.status_code == 200 and refused_root.status_code == 200
    assert not AssociatePin.objects.filter(user__in=[regional, root]).exists()
    assert saved.status_code == 302 and AssociatePin.objects.filter(user=clerk).exists()
    # Nobody sets a manager's or a superuser's PIN, a superuser or a script included.
    for person in (regional, root, manager):
        for by in (None, root):
            with pytest.raises(PermissionDenied):
                pin_set(user=person, pin="5830", by=by)


def test_an_old_pin_of_a_manager_does_not_unlock(tablet_client, store):
    regional = make_manager("regional", store)
    AssociatePin.objects.create(user=regional, pin_hash="x")  # set before this rule
    pin_set_directly = AssociatePin.objects.get(user=regional)
    from django.contrib.auth.hashers import make_password

    pin_set_directly.pin_hash = make_password("5830")
    pin_set_directly.save()
    tablet = tablet_client()

    assert "regional" not in tablet.get(reverse("kiosk:unlock")).content.decode()
    assert unlock(tablet, regional, "5830").status_code == 404
    assert "_auth_user_id" not in tablet.session


def test_a_pin_session_never_reaches_the_desk_or_a_staff_page(tablet_client, associate):
    tablet = tablet_client()
    assert unlock(tablet, associate, ALEX_PIN).status_code == 302
    # Whoever it belongs to: the associate becomes a manager while their PIN session is open.
    associate.is_staff = True
    associate.save()
    associate.groups.add(Group.objects.get(name=STORE_MANAGERS))

    desk = tablet.get(reverse("admin:index"))
    export = tablet.get(reverse("admin:kiosk_claim_export"))
    setup = tablet.get(reverse("kiosk:tablet-setup"))
    health = tablet.get(reverse("healthz-delivery"))

    assert desk.status_code == 302 and desk.url.startswith(reverse("admin:login"))
    assert export.status_code == 302 and export.url.startswith(reverse("admin:login"))
    assert setup.status_code == 302 and setup.url.startswith(reverse("login"))
    assert "delivery" not in health.json()
    # The desk's own login asks for the password, and then the desk opens.
    login_page = tablet.get(desk.url)
    assert login_page.status_code == 200 and 'name="password"' in login_page.content.decode()
    tablet.post(desk.url, {"username": "alex", "password": PASSWORD})
    assert tablet.get(reverse("admin:index")).status_code == 200


# --- Finding 2: wrong PINs count against the person guessed --------------------------


def test_an_insider_unlocking_between_guesses_does_not_reset_the_victims_count(
    tablet_client, associate, bob, settings
):
    tablet = tablet_client()
    limit = settings.KIOSK_PIN_FAILURE_LIMIT
    guesses = ["0001", "0002", "0003", "0004", "0005", "0006"]

    for guess in guesses[: limit - 1]:
        assert unlock(tablet, bob, guess).status_code == 200
        assert unlock(tablet, associate, ALEX_PIN).status_code == 302  # the insider's own PIN
        lock(tablet)
    locked = unlock(tablet, bob, guesses[limit - 1])
    right_but_locked = unlock(tablet, bob, BOB_PIN)

    assert locked.status_code == 429 and right_but_locked.status_code == 429
    assert "_auth_user_id" not in tablet.session
    assert unlock(tablet, associate, ALEX_PIN).status_code == 302  # the insider is not locked


def test_a_rotated_browser_string_gives_no_more_guesses(
    tablet_client, manager_client, bob, settings
):
    tablet = tablet_client()
    for number in range(settings.KIOSK_PIN_FAILURE_LIMIT):
        unlock(tablet, bob, f"{1000 + number}", HTTP_USER_AGENT=f"Browser {number}")

    right = unlock(tablet, bob, BOB_PIN, HTTP_USER_AGENT="Yet another browser")
    listed = manager_client.get(reverse("admin:kiosk_lockout_changelist")).content.decode()

    assert right.status_code == 429
    assert ">bob<" in listed  # the desk sees the lockout, though each browser tried once


def test_the_victims_own_unlock_resets_their_short_count_and_nothing_else(
    tablet_client, associate, bob, settings
):
    tablet, laptop = tablet_client(), Client()
    short = settings.KIOSK_PIN_FAILURE_LIMIT
    for number in range(short - 1):
        assert unlock(tablet, bob, f"{1000 + number}").status_code == 200
        assert unlock(tablet, associate, f"{2000 + number}").status_code == 200
    for _ in range(settings.PASSWORD_FAILURE_LIMIT - 1):
        password_login(laptop, "bob", "wrong")
    assert unlock(tablet, bob, BOB_PIN).status_code == 302  # a typo at a busy counter
    lock(tablet)

    after = [unlock(tablet, bob, f"{3000 + number}") for number in range(short - 1)]

    assert [response.status_code for response in after] == [200] * (short - 1)
    assert unlock(tablet, associate, "2999").status_code == 429  # Alex's count was not his
    assert password_login(laptop, "bob", "wrong").status_code == 429  # nor his password's
    assert unlock(tablet, bob, BOB_PIN).status_code == 302


def guess_around_the_victims_unlocks(tablet: Client, bob, settings) -> list[int]:
    """Guess bob's PIN short of his short lockout, bob unlocks, again: to the weekly cap."""
    statuses, number = [], 0
    while number < settings.KIOSK_PIN_WEEKLY_FAILURE_LIMIT:
        for _ in range(
            min(
                settings.KIOSK_PIN_FAILURE_LIMIT - 1,
                settings.KIOSK_PIN_WEEKLY_FAILURE_LIMIT - number,
            )
        ):
            statuses.append(unlock(tablet, bob, f"{5000 + number}").status_code)
            number += 1
        if number < settings.KIOSK_PIN_WEEKLY_FAILURE_LIMIT:
            assert unlock(tablet, bob, BOB_PIN).status_code == 302
            lock(tablet)
    return statuses


def test_the_weekly_cap_holds_across_the_victims_own_unlocks(
    tablet_client, bob, settings, monkeypatch
):
    tablet = tablet_client()
    statuses = guess_around_the_victims_unlocks(tablet, bob, settings)
    checked = []
    monkeypatch.setattr(
        auth_backends, "pin_matches", lambda **kwargs: checked.append(kwargs) or True
    )

    right = unlock(tablet, bob, BOB_PIN)

    assert statuses[:-1] == [200] * (settings.KIOSK_PIN_WEEKLY_FAILURE_LIMIT - 1)
    assert right.status_code == 429 and "_auth_user_id" not in tablet.session
    assert "locked for 7 days" in right.content.decode()
    assert "manager can clear it" in right.content.decode()
    assert checked == []  # refused before the PIN was compared
    # It lifts when the oldest of those failures is a week old, and not before.
    oldest = AccessFailureLog.objects.filter(username="pin:bob").order_by("attempt_time")[0]
    oldest.attempt_time -= timedelta(days=7) - timedelta(minutes=1)
    oldest.save()
    assert unlock(tablet, bob, BOB_PIN).status_code == 429
    oldest.attempt_time -= timedelta(minutes=2)
    oldest.save()
    assert unlock(tablet, bob, BOB_PIN).status_code == 302


def test_a_manager_sees_and_clears_the_weekly_cap_on_the_record(
    tablet_client, manager_client, manager, associate, bob, settings
):
    settings.KIOSK_PIN_COOLOFF = timedelta(seconds=1)
    tablet = tablet_client()
    guess_around_the_victims_unlocks(tablet, bob, settings)
    time.sleep(1.2)  # the short lockout is over, and axes forgets expired counts ...
    unlock(tablet, associate, "0001")  # ... at the next failure
    url = reverse("admin:kiosk_lockout_changelist")

    listed = manager_client.get(url).content.decode()
    bobs = AccessAttempt.objects.get(username="pin:bob")
    manager_client.post(url, {"action": "clear", "_selected_action": [bobs.pk]})

    assert ">bob<" in listed and "PIN" in listed
    action = ManagerAction.objects.get(action=ManagerAction.Action.LOCKOUT_CLEAR)
    assert action.user == manager and action.detail["username"] == "pin:bob"
    assert ">bob<" not in manager_client.get(url).content.decode()
    assert unlock(tablet, bob, BOB_PIN).status_code == 302
    lock(tablet)
    # The failures before the clear no longer count; the ones after it do.
    assert unlock(tablet, bob, "5999").status_code == 200
    assert AccessFailureLog.objects.filter(username="pin:bob").count() > 10


def test_a_password_success_resets_only_that_persons_count(client, associate, bob, settings):
    for _ in range(settings.PASSWORD_FAILURE_LIMIT - 1):
        password_login(client, "alex", "wrong")
    assert password_login(client, "bob").status_code == 302  # a colleague, same laptop
    client.logout()

    locked = password_login(client, "alex", "wrong again")

    assert locked.status_code == 429
    assert password_login(client, "alex").status_code == 429


@pytest.mark.parametrize("pin", ["1234", "0000", "9876", "1212", "1987", "123123", "123"])
def test_trivial_or_short_pins_are_refused(pin):
    with pytest.raises(ValidationError):
        pin_validate(pin)


def test_six_digit_pins_when_the_deployment_asks_for_them(settings):
    settings.KIOSK_PIN_MIN_LENGTH = 6
    with pytest.raises(ValidationError):
        pin_validate("5830")
    pin_validate("583071")


def test_a_store_that_asks_for_six_digit_pins_gets_them_for_its_associates(client, store, manager):
    strict = StoreFactory(name="Strict", source_store_id="store_strict", pin_min_length=6)
    strict.members.add(manager)
    strict_clerk, relaxed_clerk = UserFactory(username="strict"), UserFactory(username="relax")
    strict.members.add(strict_clerk)
    store.members.add(relaxed_clerk)
    client.force_login(manager)
    url = reverse("admin:kiosk_associatepin_add")

    refused = client.post(url, {"user": strict_clerk.pk, "pin": "5830"})
    accepted = client.post(url, {"user": relaxed_clerk.pk, "pin": "5830"})

    assert refused.status_code == 200
    assert "A PIN here is 6 digits." in refused.content.decode()
    assert not AssociatePin.objects.filter(user=strict_clerk).exists()
    assert accepted.status_code == 302
    assert AssociatePin.objects.filter(user=relaxed_clerk).exists()
    with pytest.raises(ValidationError):
        pin_set(user=strict_clerk, pin="5830", by=manager)
    pin_set(user=strict_clerk, pin="583071", by=manager)


# --- Finding 3: lock the person being guessed, not the store ------------------------


def test_wrong_passwords_do_not_lock_the_same_persons_pin(tablet_client, associate, settings):
    laptop = Client()
    for _ in range(settings.PASSWORD_FAILURE_LIMIT):
        password_login(laptop, "alex", "wrong")
    assert password_login(laptop, "alex").status_code == 429

    response = unlock(tablet_client(), associate, ALEX_PIN)

    assert response.status_code == 302 and response.url == reverse("kiosk:home")


def test_pin_failures_on_one_tablet_lock_no_other_tablet_nor_the_manager(
    tablet_client, store, manager, associate, settings
):
    people = [UserFactory(username=f"person{n}") for n in range(3)]
    for person in people:
        store.members.add(person)
        pin_set(user=person, pin="5830", by=manager)
    first, second = tablet_client("Counter 1"), tablet_client("Counter 2")
    for number in range(settings.KIOSK_PIN_FAILURE_LIMIT + 1):
        unlock(first, people[number % 3], f"{7000 + number}")

    on_first = unlock(first, associate, ALEX_PIN)
    on_second = unlock(second, associate, ALEX_PIN)
    lock(first)
    manager_on_first = password_login(first, "morgan")

    assert on_first.status_code == 302 and on_second.status_code == 302
    assert manager_on_first.status_code == 302


def test_x_forwarded_for_counts_only_when_the_deployment_has_a_proxy(associate, settings):
    def spray(client, address):
        for number in range(settings.PASSWORD_FAILURE_LIMIT):
            password_login(client, f"nobody{number}", "wrong", HTTP_X_FORWARDED_FOR=address)

    spray(Client(), "203.0.113.7")  # no proxy: the header is the client's own word
    assert password_login(Client(), "alex", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 429
    assert not AccessAttempt.objects.filter(ip_address="203.0.113.7").exists()
    AccessAttempt.objects.all().delete()

    settings.TRUSTED_PROXY_COUNT = 1
    spray(Client(), "198.51.100.1, 203.0.113.7")  # what the proxy appended is the last
    other_client = password_login(Client(), "alex", HTTP_X_FORWARDED_FOR="203.0.113.8")
    same_client = password_login(Client(), "alex", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")

    assert other_client.status_code == 302
    assert same_client.status_code == 429
    assert AccessAttempt.objects.filter(ip_address="203.0.113.7").exists()


def test_a_manager_sees_and_clears_lockouts_of_their_own_stores(
    tablet_client, manager_client, manager, associate, bob, settings
):
    tablet = tablet_client()
    elsewhere = UserFactory(username="jo")
    StoreFactory(source_store_id="store_9", members=[elsewhere])
    for number in range(settings.KIOSK_PIN_FAILURE_LIMIT):
        unlock(tablet, bob, f"{1000 + number}")
    for _ in range(settings.PASSWORD_FAILURE_LIMIT):
        password_login(Client(), "jo", "wrong")
    url = reverse("admin:kiosk_lockout_changelist")

    listed = manager_client.get(url).content.decode()
    theirs = AccessAttempt.objects.get(username="jo")
    bobs = AccessAttempt.objects.get(username="pin:bob")
    manager_client.post(url, {"action": "clear", "_selected_action": [theirs.pk, bobs.pk]})

    assert "bob" in listed and "PIN" in listed and ">jo<" not in listed
    assert AccessAttempt.objects.filter(username="jo").exists()  # not theirs to clear
    assert not AccessAttempt.objects.filter(username="pin:bob").exists()
    action = ManagerAction.objects.get(action=ManagerAction.Action.LOCKOUT_CLEAR)
    assert action.user == manager and action.detail["username"] == "pin:bob"
    assert unlock(tablet, bob, BOB_PIN).status_code == 302
