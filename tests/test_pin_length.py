"""The PIN pad unlocks at the PIN's last digit: the PIN's length is kept and shown, nothing else."""

import re

import pytest
from django.urls import reverse

from kiosk.models import AssociatePin
from kiosk.services.tablets import pin_set, pin_unlock_length
from tests.test_tablets import PIN, signed_in_tablet  # noqa: F401

pytestmark = pytest.mark.django_db


def pin_page(client, associate) -> str:
    return client.get(reverse("kiosk:unlock-pin", args=[associate.pk])).content.decode()


def test_setting_a_pin_keeps_its_length(associate, manager):
    pin_set(user=associate, pin="583071", by=manager)
    assert AssociatePin.objects.get(user=associate).length == 6

    pin_set(user=associate, pin="5830", by=manager)  # a new PIN, a new length
    assert AssociatePin.objects.get(user=associate).length == 4


def test_the_admin_keeps_the_length_of_the_pin_it_sets(client, manager, associate, store):
    client.force_login(manager)
    client.post(reverse("admin:kiosk_associatepin_add"), {"user": associate.pk, "pin": "58307"})

    assert AssociatePin.objects.get(user=associate).length == 5


def test_the_pin_page_tells_the_pad_the_length(client, signed_in_tablet, associate):  # noqa: F811
    page = pin_page(client, associate)

    assert re.findall(r'data-pin-length="(\d+)"', page) == [str(len(PIN))]
    assert "It unlocks at the last digit." in page
    assert PIN not in page and AssociatePin.objects.get(user=associate).pin_hash not in page


def test_with_the_setting_off_the_page_does_not_tell_the_length(
    client,
    signed_in_tablet,  # noqa: F811
    associate,
    settings,
):
    settings.KIOSK_PIN_UNLOCK_AT_LAST_DIGIT = False
    page = pin_page(client, associate)

    assert pin_unlock_length(user=associate) is None
    assert "data-pin-length" not in page and "unlocks at the last digit" not in page


def test_a_pin_set_before_its_length_was_kept_waits_for_unlock(
    client,
    signed_in_tablet,  # noqa: F811
    associate,
):
    AssociatePin.objects.filter(user=associate).update(length=None)
    page = pin_page(client, associate)

    assert pin_unlock_length(user=associate) is None
    assert "data-pin-length" not in page and "unlocks at the last digit" not in page
    unlocked = client.post(reverse("kiosk:unlock-pin", args=[associate.pk]), {"pin": PIN})
    assert unlocked.status_code == 302 and unlocked.url == reverse("kiosk:home")
