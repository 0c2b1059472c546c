"""On a store's tablet an associate acts for that store alone, whatever other stores they work at.

The associate works at Main Street and at Harbour Road, and unlocked Main Street's tablet by
PIN: Harbour Road's claims are not there (404), and no claim can be started for it. With a
password, away from a tablet, they still work for both stores.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kiosk.models import Claim, ClaimAttachment
from kiosk.services.tablets import TABLET_COOKIE, pin_set, tablet_sign_in
from tests.conftest import attach
from tests.factories import ClaimFactory, StoreFactory
from tests.images import image_bytes

PIN = "4821"


@pytest.fixture
def harbour_road(associate):
    return StoreFactory(name="Harbour Road", source_store_id="store_456", members=[associate])


@pytest.fixture
def tablet_client(client, associate, store, manager, harbour_road):
    """The associate, who works at both stores, unlocked Main Street's tablet by PIN."""
    pin_set(user=associate, pin=PIN, by=manager)
    _, cookie = tablet_sign_in(store=store, name="Counter 1", manager=manager)
    client.cookies[TABLET_COOKIE] = cookie
    unlocked = client.post(reverse("kiosk:unlock-pin", args=[associate.pk]), {"pin": PIN})
    assert unlocked.status_code == 302 and unlocked.url == reverse("kiosk:home")
    return client


class StoreClaims:
    """A store's claims the associate made: a draft with a photo, and a filed claim with one."""

    def __init__(self, store, associate):
        self.draft = ClaimFactory(
            store=store, created_by=associate, status=Claim.Status.DRAFT, item_name="Draft item"
        )
        self.draft_photo = attach(self.draft, ClaimAttachment.Kind.ITEM, image_bytes("JPEG"))
        self.filed = ClaimFactory(
            store=store,
            created_by=associate,
            status=Claim.Status.FILED,
            customer_email=f"{store.source_store_id}@example.com",
        )
        self.filed_photo = attach(self.filed, ClaimAttachment.Kind.ITEM, image_bytes("JPEG"))


def requests_on(claims: StoreClaims) -> dict[str, tuple]:
    """Each kind of claim view: (method, url, data posted)."""
    draft, filed = claims.draft.reference, claims.filed.reference
    return {
        "resume": ("get", reverse("kiosk:claim-resume", args=[draft]), None),
        "step": ("get", reverse("kiosk:claim-step", args=[draft, "customer"]), None),
        "step post": (
            "post",
            reverse("kiosk:claim-step", args=[draft, "item"]),
            {"item_name": "Typed here", "nav": "autosave", "input_sequence": "1"},
        ),
        "submit": ("post", reverse("kiosk:claim-submit", args=[draft]), {}),
        "result": ("get", reverse("kiosk:claim-result", args=[filed]), None),
        "receipt": ("get", reverse("kiosk:claim-receipt", args=[filed]), None),
        "coverage": (
            "get",
            reverse("kiosk:claim-coverage", args=[draft])
            + "?date_of_purchase=2026-01-01&warranty_period=P1Y",
            None,
        ),
        "photo upload": ("post", reverse("kiosk:photo-upload", args=[draft]), picked_photo),
        "photo remove": (
            "post",
            reverse("kiosk:photo-remove", args=[draft, claims.draft_photo.pk]),
            {},
        ),
        "photo": ("get", reverse("kiosk:photo", args=[claims.filed_photo.pk]), None),
        "thumbnail": ("get", reverse("kiosk:photo-thumbnail", args=[claims.filed_photo.pk]), None),
        "discard page": ("get", reverse("kiosk:claim-discard", args=[draft]), None),
        "discard": ("post", reverse("kiosk:claim-discard", args=[draft]), {}),
    }


def picked_photo() -> dict:
    return {"kind": "item", "photo": SimpleUploadedFile("p.jpg", image_bytes("JPEG"))}


def send(client, method: str, url: str, data):
    if callable(data):
        data = data()
    return client.post(url, data) if method == "post" else client.get(url)


VIEWS = [
    "resume",
    "step",
    "step post",
    "submit",
    "result",
    "receipt",
    "coverage",
    "photo upload",
    "photo remove",
    "photo",
    "thumbnail",
    "discard page",
    "discard",
]

# What each view answers the associate who may use it.
ANSWERS = {
    "resume": 302,
    "step": 200,
    "step post": 204,
    "submit": 302,
    "result": 200,
    "receipt": 200,
    "coverage": 200,
    "photo upload": 201,
    "photo remove": 200,
    "photo": 200,
    "thumbnail": 200,
    "discard page": 200,
    "discard": 302,
}


def what_it_shows(response, claims: StoreClaims, view: str) -> bool:
    """Whether the answer is about the claim asked for (its page, its photo, its step)."""
    if view in ("photo", "thumbnail"):
        return response["Content-Type"].startswith("image/")
    if view == "coverage":
        return bool(response.json()["label"])
    if view == "step post":
        return Claim.objects.get(pk=claims.draft.pk).item_name == "Typed here"
    if view == "discard page":
        return response.context["claim"] == claims.draft and "Discard this draft?" in (
            response.content.decode()
        )
    if view == "photo upload":
        return claims.draft.attachments.current().count() == 2
    if view == "photo remove":
        return claims.draft.attachments.current().count() == 0
    if view == "discard":
        return not Claim.objects.filter(pk=claims.draft.pk, status=Claim.Status.DRAFT).exists()
    if response.status_code == 302:
        return claims.draft.reference in response["Location"]
    filed = view in ("result", "receipt")
    return (claims.filed if filed else claims.draft).reference in response.content.decode()


@pytest.mark.parametrize("view", VIEWS)
def test_a_tablet_session_cannot_reach_another_stores_claims(
    tablet_client, associate, store, harbour_road, view
):
    elsewhere = StoreClaims(harbour_road, associate)
    here = StoreClaims(store, associate)

    refused = send(tablet_client, *requests_on(elsewhere)[view])
    allowed = send(tablet_client, *requests_on(here)[view])

    assert refused.status_code == 404
    assert allowed.status_code == ANSWERS[view]
    assert what_it_shows(allowed, here, view)
    # Nothing of the other store's claims changed.
    draft = Claim.objects.get(pk=elsewhere.draft.pk)
    assert draft.status == Claim.Status.DRAFT and draft.item_name == "Draft item"
    assert draft.attachments.current().count() == 1


def test_a_tablet_session_cannot_start_a_claim_for_another_store(
    tablet_client, associate, store, harbour_road
):
    refused = tablet_client.post(reverse("kiosk:claim-new"), {"store": harbour_road.pk})
    allowed = tablet_client.post(reverse("kiosk:claim-new"), {"store": store.pk})

    assert refused.status_code == 404
    assert allowed.status_code == 302
    assert list(Claim.objects.values_list("store", flat=True)) == [store.pk]


def test_a_tablet_session_finds_only_this_stores_customer_claims(
    tablet_client, associate, store, harbour_road
):
    elsewhere = StoreClaims(harbour_road, associate)
    here = StoreClaims(store, associate)
    url = reverse("kiosk:customer-claims")

    refused = tablet_client.get(url, {"contact": elsewhere.filed.customer_email})
    found = tablet_client.get(url, {"contact": here.filed.customer_email})

    assert refused.status_code == 200
    assert elsewhere.filed.reference not in refused.content.decode()
    assert "No claims for this customer" in refused.content.decode()
    assert here.filed.reference in found.content.decode()


def test_the_tablets_start_screen_offers_only_its_store(
    tablet_client, associate, store, harbour_road
):
    elsewhere = StoreClaims(harbour_road, associate)
    here = StoreClaims(store, associate)

    home = tablet_client.get(reverse("kiosk:home")).content.decode()

    assert f'name="store" value="{store.pk}"' in home
    assert f'name="store" value="{harbour_road.pk}"' not in home
    assert reverse("kiosk:claim-resume", args=[here.draft.reference]) in home
    assert reverse("kiosk:claim-resume", args=[elsewhere.draft.reference]) not in home


@pytest.mark.parametrize("view", VIEWS)
def test_a_password_session_away_from_a_tablet_still_works_for_every_store(
    associate_client, associate, harbour_road, view
):
    elsewhere = StoreClaims(harbour_road, associate)

    response = send(associate_client, *requests_on(elsewhere)[view])

    assert response.status_code == ANSWERS[view]
    assert what_it_shows(response, elsewhere, view)
