"""The shared tablet: signed in by a manager, unlocked by PIN, throttled, locked when idle."""

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.urls import reverse
from django.utils import timezone

from kiosk import middleware
from kiosk.middleware import LAST_ACTIVE
from kiosk.models import AssociatePin, Claim, Tablet
from kiosk.services.tablets import TABLET_COOKIE, pin_set, tablet_sign_in
from tests.factories import ClaimFactory, StoreFactory, UserFactory

PIN = "4821"


@pytest.fixture
def signed_in_tablet(client, manager, associate, store):
    """The client is a tablet a manager signed in to the store; the associate has a PIN."""
    pin_set(user=associate, pin=PIN, by=manager)
    client.force_login(manager)
    response = client.post(reverse("kiosk:tablet-setup"), {"store": store.pk, "name": "Counter 1"})
    assert response.status_code == 302 and response.url == reverse("kiosk:unlock")
    return Tablet.objects.get(name="Counter 1")


def unlock(client, user, pin=PIN):
    return client.post(reverse("kiosk:unlock-pin", args=[user.pk]), {"pin": pin})


def test_a_manager_signs_the_tablet_in_and_leaves_it_locked(client, signed_in_tablet, manager):
    assert client.cookies[TABLET_COOKIE]["httponly"]
    assert client.cookies[TABLET_COOKIE]["max-age"] == 14 * 24 * 60 * 60
    assert signed_in_tablet.signed_in_by == manager
    # The secret is only in the cookie; the database keeps its hash.
    assert client.cookies[TABLET_COOKIE].value.split(":")[1] not in signed_in_tablet.secret_hash
    home = client.get(reverse("kiosk:home"))
    assert home.status_code == 302 and home.url == reverse("kiosk:unlock")
    assert "Alex" in client.get(reverse("kiosk:unlock")).content.decode()


def test_an_associate_cannot_sign_a_tablet_in(associate_client):
    assert associate_client.get(reverse("kiosk:tablet-setup")).status_code == 403


def test_the_pin_unlocks_and_the_claim_is_theirs(client, signed_in_tablet, associate, store):
    response = unlock(client, associate)

    assert response.status_code == 302 and response.url == reverse("kiosk:home")
    client.post(reverse("kiosk:claim-new"), {"store": store.pk})
    assert Claim.objects.get().created_by == associate
    assert AssociatePin.objects.get(user=associate).pin_hash != PIN


def test_a_pin_of_another_store_does_not_unlock(client, signed_in_tablet):
    elsewhere = UserFactory(username="jo")
    StoreFactory(source_store_id="store_9", members=[elsewhere])
    pin_set(user=elsewhere, pin="5830", by=None)

    assert unlock(client, elsewhere, "5830").status_code == 404


def test_wrong_pins_lock_the_user_out_until_the_cooloff_ends(
    client, signed_in_tablet, associate, settings
):
    settings.KIOSK_PIN_COOLOFF = timedelta(seconds=2)
    for _ in range(settings.KIOSK_PIN_FAILURE_LIMIT - 1):
        wrong = unlock(client, associate, "0000")
        assert wrong.status_code == 200 and "That PIN is not right" in wrong.content.decode()

    locked = unlock(client, associate, "0000")
    right_but_locked = unlock(client, associate)

    assert locked.status_code == 429 and "Too many wrong tries" in locked.content.decode()
    assert right_but_locked.status_code == 429
    assert AccessFailureLog.objects.filter(username="pin:alex").count() >= 5
    assert AccessAttempt.objects.filter(username="pin:alex").exists()
    time.sleep(2.2)
    after = unlock(client, associate)
    assert after.status_code == 302 and after.url == reverse("kiosk:home")


def test_wrong_passwords_are_throttled_too(client, associate, settings):
    right = {"username": associate.username, "password": "correct horse battery"}
    assert client.post(reverse("login"), right).status_code == 302  # the password is right
    client.logout()
    for _ in range(settings.PASSWORD_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": associate.username, "password": "wrong"})

    response = client.post(
        reverse("login"), {"username": associate.username, "password": "correct horse battery"}
    )

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_an_idle_tablet_locks_and_the_draft_can_be_resumed(
    client, signed_in_tablet, associate, store, settings
):
    unlock(client, associate)
    client.post(reverse("kiosk:claim-new"), {"store": store.pk})
    claim = Claim.objects.get()
    session = client.session
    session[LAST_ACTIVE] = time.time() - settings.KIOSK_IDLE_SECONDS - 31
    session.save()

    response = client.get(reverse("kiosk:claim-resume", args=[claim.reference]))

    assert response.status_code == 302 and response.url == reverse("kiosk:unlock")
    assert "_auth_user_id" not in client.session
    assert Claim.objects.filter(pk=claim.pk, status=Claim.Status.DRAFT).exists()
    unlock(client, associate)
    home = client.get(reverse("kiosk:home")).content.decode()
    assert reverse("kiosk:claim-resume", args=[claim.reference]) in home


class Clock:
    """The idle lock's clock, moved by hand: seconds pass without the test waiting."""

    def __init__(self):
        self.now = time.time()

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(middleware, "time", clock)
    return clock


AUTOMATIC = {
    "the page's refresh": ({"automatic": "1"}, {}),
    "a request marked by the page's script": ({}, {"HTTP_X_KIOSK_AUTOMATIC": "1"}),
}


@pytest.mark.parametrize("mark", AUTOMATIC)
def test_a_tablet_left_on_a_refreshing_result_page_locks_on_time(
    client, signed_in_tablet, associate, store, settings, clock, mark
):
    query, headers = AUTOMATIC[mark]
    claim = ClaimFactory(store=store, created_by=associate, status=Claim.Status.QUEUED)
    unlock(client, associate)
    url = reverse("kiosk:claim-result", args=[claim.reference])
    assert client.get(url).status_code == 200  # the associate opened it
    limit = settings.KIOSK_IDLE_SECONDS + settings.KIOSK_IDLE_WARNING_SECONDS
    refreshes = []

    for _ in range(int(limit // 5) + 2):  # every five seconds, nobody touching the tablet
        clock.now += 5
        refreshes.append(client.get(url, query, **headers))

    shown = [response for response in refreshes if response.status_code == 200]
    assert len(shown) == int(limit // 5)
    assert 'data-testid="claim-queued"' in shown[-1].content.decode()
    assert refreshes[len(shown)].status_code == 302
    assert refreshes[len(shown)].url == reverse("kiosk:unlock")
    assert "_auth_user_id" not in client.session


def test_what_the_associate_does_keeps_the_tablet_unlocked(
    client, signed_in_tablet, associate, store, settings, clock
):
    claim = ClaimFactory(store=store, created_by=associate, status=Claim.Status.QUEUED)
    unlock(client, associate)
    url = reverse("kiosk:claim-result", args=[claim.reference])
    limit = settings.KIOSK_IDLE_SECONDS + settings.KIOSK_IDLE_WARNING_SECONDS

    clock.now += limit - 1
    touched = client.post(reverse("kiosk:still-here"))
    clock.now += limit - 1
    opened = client.get(url)
    clock.now += limit - 1
    refreshed = client.get(url, {"automatic": "1"})

    assert touched.status_code == 204
    assert opened.status_code == 200 and refreshed.status_code == 200
    # The page counts down from what the associate last did, not from its own reload.
    assert f'data-idle-for="{limit - 1:g}"' in refreshed.content.decode()


def test_the_browser_checking_for_a_new_service_worker_keeps_no_tablet_unlocked(
    client, signed_in_tablet, associate, store, settings, clock
):
    """Chromium fetches the service worker's script by itself after navigations (with
    `Service-Worker: script`): that is no one at the tablet."""
    claim = ClaimFactory(store=store, created_by=associate, status=Claim.Status.QUEUED)
    unlock(client, associate)
    limit = settings.KIOSK_IDLE_SECONDS + settings.KIOSK_IDLE_WARNING_SECONDS
    worker = reverse("kiosk:service-worker")

    checks = []
    for _ in range(int(limit // 5)):  # every five seconds, up to the limit
        clock.now += 5
        checks.append(client.get(worker, HTTP_SERVICE_WORKER="script"))
    clock.now += 5
    page = client.get(reverse("kiosk:claim-result", args=[claim.reference]))

    assert [check.status_code for check in checks] == [200] * len(checks)
    assert page.status_code == 302
    assert page.url == reverse("kiosk:unlock")
    assert "_auth_user_id" not in client.session


def test_a_draft_left_longer_than_the_resume_time_leaves_the_start_screen(
    associate_client, associate, store, settings
):
    fresh = ClaimFactory(store=store, created_by=associate, status=Claim.Status.DRAFT)
    old = ClaimFactory(store=store, created_by=associate, status=Claim.Status.DRAFT)
    Claim.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - timedelta(seconds=settings.KIOSK_DRAFT_RESUME_SECONDS + 1)
    )

    home = associate_client.get(reverse("kiosk:home")).content.decode()

    # The fresh draft alone is listed, with its own resume link.
    assert home.count('data-testid="open-claim"') == 1
    assert reverse("kiosk:claim-resume", args=[fresh.reference]) in home
    assert reverse("kiosk:claim-resume", args=[old.reference]) not in home


def test_the_start_screen_lists_only_this_associates_drafts_masked(
    associate_client, associate, store
):
    other = UserFactory(username="sam")
    store.members.add(other)
    mine = ClaimFactory(
        store=store,
        created_by=associate,
        status=Claim.Status.DRAFT,
        ship_first_name="Dana",
        ship_last_name="Reyes",
        customer_email="dana@example.com",
        item_name="Kettle",
    )
    theirs = ClaimFactory(store=store, created_by=other, status=Claim.Status.DRAFT)
    filed = ClaimFactory(store=store, created_by=associate, status=Claim.Status.FILED)

    home = associate_client.get(reverse("kiosk:home")).content.decode()

    assert "Dana Reyes" in home and "Kettle" in home
    assert "dana@example.com" not in home and "d•••@example.com" in home
    assert reverse("kiosk:claim-resume", args=[mine.reference]) in home
    assert reverse("kiosk:claim-resume", args=[theirs.reference]) not in home
    assert filed.reference not in home
    # Another associate's draft is not theirs to open.
    opened = associate_client.get(reverse("kiosk:claim-resume", args=[theirs.reference]))
    assert opened.status_code == 404


def test_a_draft_is_discarded_after_a_confirmation(associate_client, associate, store):
    draft = ClaimFactory(store=store, created_by=associate, status=Claim.Status.DRAFT)
    url = reverse("kiosk:claim-discard", args=[draft.reference])

    asked = associate_client.get(url)
    assert "cannot be undone" in asked.content.decode()
    assert Claim.objects.filter(pk=draft.pk).exists()
    done = associate_client.post(url)

    assert done.status_code == 302 and not Claim.objects.filter(pk=draft.pk).exists()


def test_a_tablet_signed_out_from_the_admin_needs_a_manager_again(
    client, signed_in_tablet, associate, manager
):
    unlock(client, associate)
    from kiosk.services.tablets import tablet_sign_out

    tablet_sign_out(tablet=signed_in_tablet, by=manager)
    response = client.get(reverse("kiosk:home"))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client.cookies[TABLET_COOKIE].value == ""
    assert "_auth_user_id" not in client.session


def test_a_manager_sets_pins_only_for_their_stores_people(client, manager, associate, store):
    stranger = UserFactory(username="jo")
    StoreFactory(source_store_id="store_9", members=[stranger])
    client.force_login(manager)
    url = reverse("admin:kiosk_associatepin_add")

    page = client.get(url).content.decode()
    refused = client.post(url, {"user": stranger.pk, "pin": "1234"})
    saved = client.post(url, {"user": associate.pk, "pin": "5830"})

    assert "alex" in page and "jo" not in page.split('name="user"')[1].split("</select>")[0]
    assert refused.status_code == 200 and not AssociatePin.objects.filter(user=stranger).exists()
    assert saved.status_code == 302
    pin = AssociatePin.objects.get(user=associate)
    assert pin.set_by == manager and "5830" not in pin.pin_hash


def test_a_non_integer_store_is_a_404_not_a_500(associate_client):
    response = associate_client.post(reverse("kiosk:claim-new"), {"store": "1 OR 1=1"})
    assert response.status_code == 404


@pytest.mark.parametrize("forged", ["²:secret", "1²:secret", "abc:secret", ":secret", "1:"])
def test_a_forged_tablet_cookie_is_no_tablet(client, store, forged):
    client.cookies[TABLET_COOKIE] = forged

    response = client.get(reverse("kiosk:home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_desk_lists_the_claims_waiting_on_each_tablet(manager_client, store, manager):
    waiting, _ = tablet_sign_in(store=store, name="Counter 1", manager=manager)
    tablet_sign_in(store=store, name="Counter 2", manager=manager)
    reported = timezone.now()
    Tablet.objects.filter(pk=waiting.pk).update(waiting_claims=3, waiting_reported_at=reported)

    page = manager_client.get(reverse("admin:kiosk_tablet_changelist")).content.decode()

    assert "Claims waiting" in page
    assert f"3 (reported {timezone.localtime(reported):%H:%M})" in page
    assert page.count("—") >= 1


def test_the_tablets_store_filter_names_only_the_managers_stores(manager_client, store, manager):
    second = StoreFactory(name="Harbour Point")
    second.members.add(manager)
    StoreFactory(name="Elsewhere Outlet")  # not the manager's

    page = manager_client.get(reverse("admin:kiosk_tablet_changelist")).content.decode()

    assert "Harbour Point" in page and store.name in page
    assert "Elsewhere Outlet" not in page


def sign_out_action(client, action: str, tablets):
    return client.post(
        reverse("admin:kiosk_tablet_changelist"),
        {"action": action, "_selected_action": [t.pk for t in tablets]},
        follow=True,
    )


def test_signing_out_a_tablet_with_claims_waiting_is_refused_and_the_others_signed_out(
    manager_client, store, manager
):
    waiting, _ = tablet_sign_in(store=store, name="Counter 1", manager=manager)
    idle, _ = tablet_sign_in(store=store, name="Counter 2", manager=manager)
    Tablet.objects.filter(pk=waiting.pk).update(
        waiting_claims=2, waiting_reported_at=timezone.now()
    )

    page = sign_out_action(manager_client, "sign_out", [waiting, idle]).content.decode()

    waiting.refresh_from_db()
    idle.refresh_from_db()
    assert waiting.signed_out_at is None and idle.signed_out_at is not None
    assert "Counter 1 at Main Street” was not signed out: 2 claims are waiting" in page
    assert "strands them" in page
    assert "1 tablet signed out." in page


def test_a_manager_can_sign_a_tablet_out_despite_the_claims_waiting_on_it(
    manager_client, store, manager
):
    waiting, _ = tablet_sign_in(store=store, name="Counter 1", manager=manager)
    Tablet.objects.filter(pk=waiting.pk).update(
        waiting_claims=2, waiting_reported_at=timezone.now()
    )

    page = sign_out_action(manager_client, "sign_out_despite_waiting", [waiting]).content
    waiting.refresh_from_db()

    assert waiting.signed_out_at is not None and waiting.signed_out_by == manager
    assert "1 tablet signed out. 2 claims waiting on them stay there, unsent" in page.decode()
