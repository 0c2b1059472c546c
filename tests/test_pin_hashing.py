"""PINs stored keyed with SECRET_KEY: a copy of the database guesses none, and the key rotates."""

import base64
import hashlib

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from kiosk.models import AssociatePin
from kiosk.services.pin_hashing import pin_hash
from kiosk.services.tablets import pin_matches
from tests.test_tablets import PIN, signed_in_tablet, unlock  # noqa: F401


def stored(associate) -> str:
    return AssociatePin.objects.get(user=associate).pin_hash


@pytest.mark.usefixtures("signed_in_tablet")
def test_the_stored_hash_is_keyed_a_database_copy_alone_finds_no_pin(associate, settings):
    algorithm, iterations, salt, digest = stored(associate).split("$")
    assert (algorithm, iterations) == ("pin_pbkdf2_sha256", str(settings.PIN_HASH_ITERATIONS))
    # Someone with the database tries every PIN with its salt and rounds: none matches.
    unkeyed = {
        hashlib.pbkdf2_hmac("sha256", f"{n:04d}".encode(), salt.encode(), int(iterations))
        for n in range(10_000)
    }
    assert base64.b64decode(digest) not in unkeyed
    # With another key the right PIN does not match either.
    settings.SECRET_KEY = "another key"
    assert not pin_matches(user=associate, pin=PIN)


@pytest.mark.usefixtures("signed_in_tablet")
def test_the_right_pin_unlocks_and_a_wrong_one_leaves_the_hash_alone(client, associate):
    before = stored(associate)
    assert unlock(client, associate, "9999").status_code == 200
    assert stored(associate) == before
    assert unlock(client, associate).url == reverse("kiosk:home")
    assert stored(associate) == before


@pytest.mark.usefixtures("signed_in_tablet")
def test_a_rotated_key_still_unlocks_and_the_pin_is_stored_under_the_new_one(
    client, associate, settings
):
    old_key, before = settings.SECRET_KEY, stored(associate)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "the new key", [old_key]
    assert not pin_matches(user=associate, pin="9999")
    assert stored(associate) == before

    assert pin_matches(user=associate, pin=PIN)
    assert stored(associate) != before
    settings.SECRET_KEY_FALLBACKS = []
    assert pin_matches(user=associate, pin=PIN)


@pytest.mark.usefixtures("signed_in_tablet")
@pytest.mark.parametrize("earlier", ["django", "fewer rounds"])
def test_an_earlier_hash_unlocks_once_and_is_stored_as_today(client, associate, settings, earlier):
    if earlier == "django":  # stored by Django's password hashers, before this module
        AssociatePin.objects.filter(user=associate).update(pin_hash=make_password(PIN))
    else:
        settings.PIN_HASH_ITERATIONS, rounds = 500, settings.PIN_HASH_ITERATIONS
        AssociatePin.objects.filter(user=associate).update(pin_hash=pin_hash(PIN))
        settings.PIN_HASH_ITERATIONS = rounds
    before = stored(associate)

    assert unlock(client, associate).url == reverse("kiosk:home")
    algorithm, iterations, *_ = stored(associate).split("$")
    assert stored(associate) != before
    assert (algorithm, int(iterations)) == ("pin_pbkdf2_sha256", settings.PIN_HASH_ITERATIONS)
