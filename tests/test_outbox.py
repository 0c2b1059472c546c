"""The tablet's outbox on the server: what the tablet kept offline, sent again, is done once.

POST /tablet/outbox/ acts for the associate its signed token names, on the tablet that
sends it; every claim, save and photo carries an id made on the tablet, and the same id
sent twice (one after the other, or at the same moment) is the same thing. The ordinary
pages take the same ids.
"""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kiosk.middleware import LAST_ACTIVE, UNLOCKED_ON
from kiosk.models import Claim, ClaimAttachment, ClaimSave, Tablet, new_claim_reference
from kiosk.photo_views import photo_json
from kiosk.services.outbox import outbox_token, outbox_user
from kiosk.services.tablets import TABLET_COOKIE, pin_set, tablet_sign_in, tablet_sign_out
from tests.factories import ClaimFactory, StoreFactory, UserFactory
from tests.images import image_bytes, signature_data_url
from tests.test_views import VALID_STEPS

PIN = "4821"
OUTBOX = "/tablet/outbox/"


@pytest.fixture
def tablet(store, manager, associate) -> Tablet:
    """A tablet signed in to the associate's store; `tablet.cookie` is its cookie."""
    pin_set(user=associate, pin=PIN, by=manager)
    tablet, cookie = tablet_sign_in(store=store, name="Counter 1", manager=manager)
    tablet.cookie = cookie
    return tablet


def tablet_client(tablet: Tablet) -> Client:
    client = Client()
    client.cookies[TABLET_COOKIE] = tablet.cookie
    return client


@pytest.fixture
def outbox(tablet, associate):
    """Sends one item from the tablet's outbox, as the associate's token."""
    client = tablet_client(tablet)
    token = outbox_token(tablet=tablet, user=associate)

    def send(kind: str, *, token: str | None = token, headers=None, **data):
        data = {"id": str(uuid.uuid4()), "kind": kind, **data}
        sent_headers = {"X-Kiosk-Outbox-Token": token} if token is not None else {}
        return client.post(OUTBOX, data, headers=sent_headers | (headers or {}))

    send.client, send.token = client, token
    return send


def started(outbox) -> Claim:
    reference = new_claim_reference()
    assert outbox("start", reference=reference).json() == {"status": "saved"}
    return Claim.objects.get(reference=reference)


def jpeg(color: str = "navy") -> SimpleUploadedFile:
    return SimpleUploadedFile("p.jpg", image_bytes("JPEG", color=color), "image/jpeg")


# -- The URL and the contract ---------------------------------------------------------------


def test_the_outbox_is_where_the_tablets_script_sends_it():
    assert reverse("kiosk:outbox") == OUTBOX


# -- start ----------------------------------------------------------------------------------


def test_a_start_sent_twice_opens_one_claim_under_the_tablets_reference(outbox, associate, store):
    reference, item_id = new_claim_reference(), str(uuid.uuid4())

    first = outbox("start", id=item_id, reference=reference)
    again = outbox("start", id=item_id, reference=reference)

    assert first.json() == again.json() == {"status": "saved"}
    claim = Claim.objects.get()
    assert (claim.reference, claim.created_by, claim.store) == (reference, associate, store)
    assert claim.status == Claim.Status.DRAFT


def test_a_start_with_another_claims_reference_is_refused(outbox, store):
    other = ClaimFactory(store=store, created_by=UserFactory(username="jo"))

    response = outbox("start", reference=other.reference)

    assert response.status_code == 409
    assert response.json()["error"] == "reference_taken"
    assert Claim.objects.count() == 1


@pytest.mark.parametrize("reference", ["", "R-0OIL1234", "R-ABCDEFG", "R-ABCDEFGHJ", "x" * 500])
def test_a_start_without_a_reference_of_the_portals_format_is_refused(outbox, reference):
    response = outbox("start", reference=reference)

    assert response.status_code == 400
    assert not Claim.objects.exists()


@pytest.mark.parametrize("item_id", [None, "", "not-a-uuid", "1" * 37])
def test_an_item_without_its_id_is_refused(outbox, item_id):
    data = {"reference": new_claim_reference()}
    if item_id is not None:
        data["id"] = item_id
    response = outbox.client.post(
        OUTBOX,
        {"kind": "start", **data},
        headers={"X-Kiosk-Outbox-Token": outbox.token},
    )

    assert response.status_code == 400
    assert not Claim.objects.exists()


# -- save -----------------------------------------------------------------------------------


def test_a_save_sent_twice_is_saved_once(outbox):
    claim = started(outbox)
    save_id = str(uuid.uuid4())

    first = outbox(
        "save", id=save_id, reference=claim.reference, step="customer", **VALID_STEPS["customer"]
    )
    changed = VALID_STEPS["customer"] | {"ship_first_name": "Someone else"}
    again = outbox("save", id=save_id, reference=claim.reference, step="customer", **changed)

    assert first.json() == again.json() == {"status": "saved", "complete": True}
    claim.refresh_from_db()
    assert claim.ship_first_name == "Jane"
    assert list(ClaimSave.objects.values_list("id", "step", "applied")) == [
        (uuid.UUID(save_id), "customer", True)
    ]


@pytest.mark.parametrize(
    ("navigation", "checked"),
    [
        ({}, True),  # Next
        ({"goto": "review"}, True),  # a page further on
        ({"goto": "issue"}, False),  # on the item's page, before this one
        ({"goto": "signature"}, True),  # on the review page, further on
        ({"nav": "back"}, False),
        ({"goto": "customer"}, False),
        ({"goto": "address"}, False),
        ({"nav": "stay"}, False),
        ({"nav": "autosave"}, False),
        ({"remove_attachment": "1"}, False),
    ],
)
def test_a_save_is_checked_as_the_step_page_would_check_it(outbox, navigation, checked):
    claim = started(outbox)
    typed = VALID_STEPS["address"] | {"ship_lat": "north"}

    response = outbox("save", reference=claim.reference, step="address", **typed, **navigation)

    assert response.json() == {"status": "saved", "complete": False}
    claim.refresh_from_db()
    assert claim.pending_input["address"]["checked"] is checked
    assert claim.pending_input["address"]["data"]["ship_lat"] == ["north"]


def test_an_older_save_that_arrives_after_a_newer_one_changes_nothing(outbox):
    claim = started(outbox)
    rendered = time.time_ns() // 1_000_000
    newer = VALID_STEPS["customer"] | {"ship_first_name": "Newer"}
    older = VALID_STEPS["customer"] | {"ship_first_name": "Older"}

    outbox(
        "save",
        reference=claim.reference,
        step="customer",
        page_rendered_at=rendered,
        input_sequence=2,
        **newer,
    )
    late = outbox(
        "save",
        reference=claim.reference,
        step="customer",
        page_rendered_at=rendered,
        input_sequence=1,
        **older,
    )

    assert late.json() == {"status": "saved", "complete": False}
    claim.refresh_from_db()
    assert claim.ship_first_name == "Newer"
    assert sorted(ClaimSave.objects.values_list("applied", flat=True)) == [False, True]


def test_a_save_whose_input_the_draft_cannot_keep_comes_back_as_a_correction(outbox, settings):
    """Kept offline and sent later, a save too big for the draft says so, as the page's
    own background save does: the tablet shows it among the corrections (outbox-replay.js)."""
    settings.PENDING_INPUT_MAX_BYTES = 2_000
    claim = started(outbox)
    typed = {"item_name": "Kettle", "item_details": "y" * 3_000, "item_price": "abc"}

    answer = outbox("save", reference=claim.reference, step="item", **typed).json()

    assert answer["status"] == "needs_correction"
    assert answer["step"] == "item" and answer["complete"] is False
    assert "Too long to keep on the draft" in answer["message"]
    assert "Describe the problem" in answer["message"]
    claim.refresh_from_db()
    kept = claim.pending_input["item"]["data"]
    assert kept["item_name"] == ["Kettle"]  # what fits is kept on the draft
    assert "item_details" not in kept


def test_a_signature_saved_then_submitted_files_the_claim_once(
    outbox, complete_claim, api_to_sandbox, media_server
):
    complete_claim.attachments.filter(kind=ClaimAttachment.Kind.SIGNATURE).delete()
    complete_claim.completed_steps = complete_claim.completed_steps[:-1]
    complete_claim.save()
    reference = complete_claim.reference

    signed = outbox(
        "save", reference=reference, step="signature", signature_data=signature_data_url()
    )
    submit_id = str(uuid.uuid4())
    submitted = outbox("submit", id=submit_id, reference=reference)
    again = outbox("submit", id=submit_id, reference=reference)

    assert signed.json() == {"status": "saved", "complete": True}
    assert submitted.json() == {"status": "submitted", "result": "filed"}
    assert again.json() == {"status": "submitted"}
    assert len(api_to_sandbox.claims) == 1
    assert complete_claim.attempts.count() == 1
    [body] = api_to_sandbox.claims.values()
    assert body["signature"].startswith(media_server)


def test_a_name_typed_as_the_signature_offline_is_drawn_when_it_arrives(
    outbox, complete_claim, api_to_sandbox, media_server
):
    complete_claim.attachments.filter(kind=ClaimAttachment.Kind.SIGNATURE).delete()
    complete_claim.completed_steps = complete_claim.completed_steps[:-1]
    complete_claim.save()
    reference = complete_claim.reference

    signed = outbox(
        "save",
        reference=reference,
        step="signature",
        signature_data="",
        signature_typed_name="Dana Reyes",
    )
    submitted = outbox("submit", reference=reference)

    assert signed.json() == {"status": "saved", "complete": True}
    assert submitted.json() == {"status": "submitted", "result": "filed"}
    (signature,) = complete_claim.attachments_of(ClaimAttachment.Kind.SIGNATURE)
    assert signature.typed


def test_an_unknown_step_is_refused(outbox):
    claim = started(outbox)

    response = outbox("save", reference=claim.reference, step="review")

    assert response.status_code == 400
    assert not ClaimSave.objects.exists()


def test_a_save_id_of_another_claims_save_is_refused(outbox):
    first, second = started(outbox), started(outbox)
    save_id = str(uuid.uuid4())
    outbox(
        "save", id=save_id, reference=first.reference, step="customer", **VALID_STEPS["customer"]
    )

    response = outbox(
        "save", id=save_id, reference=second.reference, step="customer", **VALID_STEPS["customer"]
    )

    assert response.status_code == 400
    second.refresh_from_db()
    assert second.ship_first_name == ""


# -- photos ---------------------------------------------------------------------------------


def test_a_photo_sent_twice_is_stored_once(outbox):
    claim = started(outbox)
    photo_id = str(uuid.uuid4())

    first = outbox(
        "photo", reference=claim.reference, photo_kind="item", photo_id=photo_id, photo=jpeg()
    )
    again = outbox(
        "photo", reference=claim.reference, photo_kind="item", photo_id=photo_id, photo=jpeg("red")
    )

    stored = ClaimAttachment.objects.get()
    assert (
        first.json()
        == again.json()
        == {
            "status": "saved",
            "photo": photo_json(claim.reference, stored),
        }
    )
    assert (stored.claim, stored.kind, stored.tablet_id) == (claim, "item", uuid.UUID(photo_id))


def test_a_photo_that_is_not_an_image_is_refused_with_the_reason(outbox):
    claim = started(outbox)
    text = SimpleUploadedFile("p.jpg", b"not a photo", "image/jpeg")

    response = outbox(
        "photo",
        reference=claim.reference,
        photo_kind="receipt",
        photo_id=str(uuid.uuid4()),
        photo=text,
    )

    assert response.status_code == 422
    assert response.json()["error"] == "photo"
    assert response.json()["message"]
    assert not ClaimAttachment.objects.exists()


def test_a_photo_id_of_another_claims_photo_is_refused(outbox):
    first, second = started(outbox), started(outbox)
    photo_id = str(uuid.uuid4())
    outbox("photo", reference=first.reference, photo_kind="item", photo_id=photo_id, photo=jpeg())

    response = outbox(
        "photo", reference=second.reference, photo_kind="item", photo_id=photo_id, photo=jpeg()
    )

    assert response.status_code == 422
    assert list(ClaimAttachment.objects.values_list("claim", flat=True)) == [first.pk]


def test_a_photo_removal_sent_twice_or_for_a_photo_never_stored_succeeds(outbox):
    claim = started(outbox)
    photo_id = str(uuid.uuid4())
    outbox("photo", reference=claim.reference, photo_kind="item", photo_id=photo_id, photo=jpeg())
    removal_id = str(uuid.uuid4())

    removed = outbox("remove_photo", id=removal_id, reference=claim.reference, photo_id=photo_id)
    again = outbox("remove_photo", id=removal_id, reference=claim.reference, photo_id=photo_id)
    never = outbox("remove_photo", reference=claim.reference, photo_id=str(uuid.uuid4()))

    assert removed.json() == again.json() == never.json() == {"status": "saved"}
    assert not ClaimAttachment.objects.exists()


def test_a_photo_uploaded_before_the_drop_is_removed_by_the_servers_id(outbox, associate):
    claim = started(outbox)
    photo_id = str(uuid.uuid4())
    outbox("photo", reference=claim.reference, photo_kind="item", photo_id=photo_id, photo=jpeg())
    stored = ClaimAttachment.objects.get()

    removed = outbox("remove_photo", reference=claim.reference, attachment=str(stored.pk))
    again = outbox("remove_photo", reference=claim.reference, attachment=str(stored.pk))

    assert removed.json() == again.json() == {"status": "saved"}
    assert not ClaimAttachment.objects.current().exists()


def test_a_step_shown_offline_without_its_input_saves_nothing_when_it_goes_on(
    associate_client, associate, store
):
    claim = ClaimFactory(store=store, created_by=associate, ship_zip="10001")
    url = reverse("kiosk:claim-step", args=[claim.reference, "address"])

    response = associate_client.post(url, {"offline_unloaded": "1", "nav": "next"})

    assert response.status_code == 302
    assert response.url == reverse("kiosk:claim-step", args=[claim.reference, "review"])
    claim.refresh_from_db()
    assert claim.ship_zip == "10001"


# -- submit ---------------------------------------------------------------------------------


def test_a_submit_of_an_incomplete_claim_says_which_step_needs_a_correction(outbox, api_to_sandbox):
    claim = started(outbox)
    outbox("save", reference=claim.reference, step="customer", **VALID_STEPS["customer"])

    response = outbox("submit", reference=claim.reference)

    assert response.json() == {
        "status": "needs_correction",
        "step": "item",
        "message": "Some steps are not complete yet.",
    }
    assert api_to_sandbox.received == []


def test_a_submit_the_api_rejects_says_where_to_correct_it(
    outbox, complete_claim, api_to_sandbox, media_server
):
    # The API cannot fetch the receipt photo: it names warranty.receiptImages[0], collected
    # on the item's page.
    complete_claim.attachments.get(kind="receipt").file.delete(save=False)

    response = outbox("submit", reference=complete_claim.reference)

    complete_claim.refresh_from_db()
    assert complete_claim.attention_reason == Claim.AttentionReason.REJECTED
    assert response.json() == {
        "status": "needs_correction",
        "step": "item",
        "message": complete_claim.last_error,
    }
    assert complete_claim.last_error


def test_changes_to_a_claim_sent_meanwhile_are_not_made(outbox, complete_claim):
    Claim.objects.filter(pk=complete_claim.pk).update(status=Claim.Status.QUEUED)
    reference = complete_claim.reference

    saved = outbox(
        "save",
        reference=reference,
        step="customer",
        **VALID_STEPS["customer"] | {"ship_first_name": "Late"},
    )
    photo = outbox(
        "photo", reference=reference, photo_kind="item", photo_id=str(uuid.uuid4()), photo=jpeg()
    )
    removal = outbox(
        "remove_photo",
        reference=reference,
        photo_id=str(complete_claim.attachments.first().tablet_id or uuid.uuid4()),
    )

    assert saved.json() == photo.json() == removal.json() == {"status": "sent_meanwhile"}
    complete_claim.refresh_from_db()
    assert complete_claim.ship_first_name == "Jane"
    assert not ClaimSave.objects.exists()
    assert complete_claim.attachments.count() == 3


def test_a_claim_not_the_associates_is_not_found(outbox, store):
    draft = ClaimFactory(store=store, created_by=UserFactory(username="jo"), completed_steps=[])

    response = outbox("save", reference=draft.reference, step="customer", **VALID_STEPS["customer"])

    assert response.status_code == 404
    assert response.json()["error"] == "no_claim"
    draft.refresh_from_db()
    assert draft.customer_email == "customer@example.com"


# -- the token and the tablet ---------------------------------------------------------------


def test_a_missing_or_forged_token_is_refused(outbox, tablet, associate):
    forged = signing.TimestampSigner(salt="another.salt").sign(f"{tablet.pk}:{associate.pk}")
    valid = outbox_token(tablet=tablet, user=associate)
    tampered = valid.replace(f"{tablet.pk}:{associate.pk}", f"{tablet.pk}:{associate.pk + 1}")

    answers = [
        outbox("start", token=token, reference=new_claim_reference())
        for token in (None, "", forged, tampered, valid + "x")
    ]

    assert [a.status_code for a in answers] == [403] * 5
    assert {a.json()["error"] for a in answers} == {"token"}
    assert not Claim.objects.exists()


def test_a_token_older_than_its_lifetime_is_refused(
    outbox, tablet, associate, settings, monkeypatch
):
    an_hour_ago = time.time() - 3600
    with monkeypatch.context() as past:
        past.setattr(signing.time, "time", lambda: an_hour_ago)
        token = outbox_token(tablet=tablet, user=associate)

    settings.KIOSK_OUTBOX_TOKEN_SECONDS = 2 * 3600
    accepted = outbox("start", token=token, reference=new_claim_reference())
    settings.KIOSK_OUTBOX_TOKEN_SECONDS = 1800
    refused = outbox("start", token=token, reference=new_claim_reference())

    assert accepted.status_code == 200
    assert (refused.status_code, refused.json()["error"]) == (403, "token")
    assert Claim.objects.count() == 1


def test_a_token_given_on_another_tablet_is_refused(outbox, store, manager, associate):
    other, _ = tablet_sign_in(store=store, name="Counter 2", manager=manager)

    response = outbox(
        "start", token=outbox_token(tablet=other, user=associate), reference=new_claim_reference()
    )

    assert (response.status_code, response.json()["error"]) == (403, "token")


@pytest.mark.parametrize("change", ["left the store", "deactivated", "made staff"])
def test_the_token_of_an_associate_who_can_no_longer_unlock_the_tablet_is_refused(
    outbox, store, associate, change
):
    if change == "left the store":
        store.members.remove(associate)
    elif change == "deactivated":
        associate.is_active = False
        associate.save()
    else:
        associate.is_staff = True
        associate.save()

    response = outbox("start", reference=new_claim_reference())

    assert (response.status_code, response.json()["error"]) == (403, "token")
    assert not Claim.objects.exists()


def test_a_signed_out_tablet_is_told_so_and_keeps_its_claims(outbox, tablet, manager):
    tablet_sign_out(tablet=tablet, by=manager)

    response = outbox("start", reference=new_claim_reference())

    assert response.status_code == 403
    assert response.json() == {
        "status": "refused",
        "error": "signed_out",
        "message": "This tablet is signed out. Ask a manager to sign it in again; "
        "the claims wait on it.",
    }
    assert not Claim.objects.exists()


def test_outbox_user_names_the_associate_the_token_was_given_to(tablet, associate):
    assert outbox_user(token=outbox_token(tablet=tablet, user=associate), tablet=tablet) == (
        associate
    )
    assert outbox_user(token="garbage", tablet=tablet) is None


# -- the session ----------------------------------------------------------------------------


def test_the_outbox_acts_for_the_tokens_associate_and_leaves_the_session_alone(
    tablet, store, associate, manager
):
    """Another associate unlocked the tablet, long idle: the claim is the token's
    associate's, and the session is neither moved on, nor locked, nor changed."""
    bo = UserFactory(username="bo")
    store.members.add(bo)
    pin_set(user=bo, pin="5830", by=manager)
    client = tablet_client(tablet)
    assert client.post(reverse("kiosk:unlock-pin", args=[bo.pk]), {"pin": "5830"}).status_code
    session = client.session
    session[LAST_ACTIVE] = time.time() - 24 * 3600
    session.save()
    before = dict(client.session.items())

    response = client.post(
        OUTBOX,
        {"id": str(uuid.uuid4()), "kind": "start", "reference": new_claim_reference()},
        headers={"X-Kiosk-Outbox-Token": outbox_token(tablet=tablet, user=associate)},
    )

    assert response.json() == {"status": "saved"}
    assert Claim.objects.get().created_by == associate
    assert dict(client.session.items()) == before
    assert before["_auth_user_id"] == str(bo.pk) and before[UNLOCKED_ON] == tablet.pk
    assert "sessionid" not in response.cookies


def test_the_outbox_logs_nobody_in(outbox, associate):
    response = outbox("start", reference=new_claim_reference())

    assert response.json() == {"status": "saved"}
    assert "sessionid" not in response.cookies
    assert "_auth_user_id" not in outbox.client.session
    home = outbox.client.get(reverse("kiosk:home"))
    assert home.status_code == 302 and home.url == reverse("kiosk:unlock")


def test_an_unlocked_page_carries_the_associates_outbox_token(tablet, associate):
    client = tablet_client(tablet)
    locked = client.get(reverse("kiosk:unlock"))
    client.post(reverse("kiosk:unlock-pin", args=[associate.pk]), {"pin": PIN})

    page = client.get(reverse("kiosk:home"))

    assert locked.context["outbox_token"] == ""
    assert outbox_user(token=page.context["outbox_token"], tablet=tablet) == associate


def test_a_page_off_the_tablets_carries_no_outbox_token(associate_client):
    assert associate_client.get(reverse("kiosk:home")).context["outbox_token"] == ""


# -- what waits on the tablet ---------------------------------------------------------------


def test_the_tablet_reports_how_many_claims_wait_on_it_even_when_refused(outbox, tablet):
    refused = outbox(
        "start", token="expired", reference=new_claim_reference(), headers={"X-Kiosk-Waiting": "3"}
    )
    tablet.refresh_from_db()
    reported_three = (tablet.waiting_claims, tablet.waiting_reported_at)

    outbox("start", reference=new_claim_reference(), headers={"X-Kiosk-Waiting": "0"})
    outbox("start", reference=new_claim_reference(), headers={"X-Kiosk-Waiting": "-2"})
    tablet.refresh_from_db()

    assert refused.status_code == 403
    assert reported_three[0] == 3
    assert timezone.now() - reported_three[1] < timedelta(minutes=1)
    assert tablet.waiting_claims == 0


def test_a_status_item_says_that_nothing_waits_and_does_nothing_else(outbox, tablet):
    Tablet.objects.filter(pk=tablet.pk).update(waiting_claims=2)

    response = outbox("status", headers={"X-Kiosk-Waiting": "0"})

    assert response.json() == {"status": "saved"}
    tablet.refresh_from_db()
    assert tablet.waiting_claims == 0
    assert not Claim.objects.exists()


# -- the same ids on the ordinary pages ----------------------------------------------------


def test_a_new_claim_posted_twice_with_its_reference_is_one_claim(associate_client, store):
    reference = new_claim_reference()
    data = {"store": store.pk, "reference": reference, **VALID_STEPS["customer"]}

    first = associate_client.post(reverse("kiosk:claim-new"), data)
    again = associate_client.post(reverse("kiosk:claim-new"), data)

    claim = Claim.objects.get()
    assert claim.reference == reference
    assert first.url == reverse("kiosk:claim-step", args=[reference, "item"])
    assert associate_client.get(again.url).url == first.url


@pytest.mark.parametrize("taken", [False, True])
def test_a_new_claim_with_a_bad_or_taken_reference_gets_its_own(associate_client, store, taken):
    reference = ClaimFactory(store=store).reference if taken else "R-nope"

    response = associate_client.post(
        reverse("kiosk:claim-new"), {"store": store.pk, "reference": reference}
    )

    claim = Claim.objects.exclude(reference=reference).get()
    assert response.url == reverse("kiosk:claim-step", args=[claim.reference, "customer"])


def test_next_posted_twice_with_one_request_id_is_saved_once(associate_client, store):
    associate_client.post(reverse("kiosk:claim-new"), {"store": store.pk})
    claim = Claim.objects.get()
    url = reverse("kiosk:claim-step", args=[claim.reference, "customer"])
    request_id = str(uuid.uuid4())

    first = associate_client.post(url, {**VALID_STEPS["customer"], "request_id": request_id})
    again = associate_client.post(
        url,
        {**VALID_STEPS["customer"], "ship_first_name": "Twice", "request_id": request_id},
    )

    assert first.url == again.url == reverse("kiosk:claim-step", args=[claim.reference, "item"])
    claim.refresh_from_db()
    assert claim.ship_first_name == "Jane"
    assert ClaimSave.objects.get().id == uuid.UUID(request_id)


def test_a_photo_uploaded_twice_with_one_photo_id_is_one_photo(associate_client, store):
    associate_client.post(reverse("kiosk:claim-new"), {"store": store.pk})
    claim = Claim.objects.get()
    url = reverse("kiosk:photo-upload", args=[claim.reference])
    photo_id = str(uuid.uuid4())

    first = associate_client.post(url, {"kind": "receipt", "photo_id": photo_id, "photo": jpeg()})
    again = associate_client.post(url, {"kind": "receipt", "photo_id": photo_id, "photo": jpeg()})

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert ClaimAttachment.objects.get().tablet_id == uuid.UUID(photo_id)


# -- at the same moment (PostgreSQL: make test's second pass) -------------------------------


def at_once(tablet: Tablet, token: str, data: dict, files=None, count: int = 2) -> list[dict]:
    """The same item sent by `count` requests at once (two tabs, a retry), in threads."""
    start = threading.Barrier(count)
    answers = []

    def send():
        client = tablet_client(tablet)
        posted = dict(data)
        if files:
            posted |= {name: make() for name, make in files.items()}
        start.wait()
        answers.append(client.post(OUTBOX, posted, headers={"X-Kiosk-Outbox-Token": token}).json())
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.django_db(transaction=True)
def test_the_same_save_sent_twice_at_once_is_saved_once(tablet, associate, store):
    token = outbox_token(tablet=tablet, user=associate)
    claim = ClaimFactory(store=store, created_by=associate, completed_steps=[])
    save = {
        "id": str(uuid.uuid4()),
        "kind": "save",
        "reference": claim.reference,
        "step": "customer",
        **VALID_STEPS["customer"],
    }

    for _ in range(3):
        save["id"] = str(uuid.uuid4())
        answers = at_once(tablet, token, save)

        assert answers == [{"status": "saved", "complete": True}] * 2
        assert ClaimSave.objects.filter(pk=save["id"]).count() == 1
    assert ClaimSave.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_same_photo_sent_twice_at_once_is_stored_once(tablet, associate, store):
    token = outbox_token(tablet=tablet, user=associate)
    claim = ClaimFactory(store=store, created_by=associate, completed_steps=[])

    for _ in range(3):
        photo_id = str(uuid.uuid4())
        photo = {
            "id": str(uuid.uuid4()),
            "kind": "photo",
            "reference": claim.reference,
            "photo_kind": "item",
            "photo_id": photo_id,
        }
        answers = at_once(tablet, token, photo, files={"photo": jpeg})

        stored = ClaimAttachment.objects.get(tablet_id=photo_id)
        assert answers == [{"status": "saved", "photo": photo_json(claim.reference, stored)}] * 2
    assert ClaimAttachment.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_same_start_sent_twice_at_once_opens_one_claim(tablet, associate):
    token = outbox_token(tablet=tablet, user=associate)
    reference = new_claim_reference()

    answers = at_once(
        tablet, token, {"id": str(uuid.uuid4()), "kind": "start", "reference": reference}
    )

    assert answers == [{"status": "saved"}] * 2
    assert Claim.objects.get().reference == reference


def test_another_stores_tablet_finds_no_claim_of_this_store(outbox, manager, associate):
    claim = started(outbox)
    elsewhere = StoreFactory(members=[associate, manager])
    other, cookie = tablet_sign_in(store=elsewhere, name="Elsewhere", manager=manager)
    client = Client()
    client.cookies[TABLET_COOKIE] = cookie

    response = client.post(
        OUTBOX,
        {"id": str(uuid.uuid4()), "kind": "submit", "reference": claim.reference},
        headers={"X-Kiosk-Outbox-Token": outbox_token(tablet=other, user=associate)},
    )

    assert (response.status_code, response.json()["error"]) == (404, "no_claim")


def test_the_customer_s_language_chosen_offline_is_set_on_the_claim(outbox, store):
    claim = started(outbox)
    assert claim.customer_language == store.language

    answer = outbox("language", reference=claim.reference, customer_language="es-us")

    assert answer.json() == {"status": "saved"}
    claim.refresh_from_db()
    assert claim.customer_language == "es-us"


def test_a_language_the_portal_does_not_have_is_refused(outbox, store):
    claim = started(outbox)

    answer = outbox("language", reference=claim.reference, customer_language="fr-fr")

    assert answer.status_code == 400
    assert answer.json()["status"] == "refused"
    claim.refresh_from_db()
    assert claim.customer_language == store.language
