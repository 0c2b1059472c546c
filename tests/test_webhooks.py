"""OrderProtection's claim webhooks: the receiver, and what an event does to its claim."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from kiosk.models import Claim, ClaimStateChange, WebhookEvent
from kiosk.services.webhooks import webhook_event_process
from tests.factories import ClaimFactory

SECRET = "whsec-test-1"
URL = "/webhooks/orderprotection"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ORDERPROTECTION_WEBHOOK_SECRET = SECRET


@pytest.fixture
def filed_claim(db):
    return ClaimFactory(
        store__source_store_id="store_123",
        status=Claim.Status.FILED,
        source_order_id="SB-1111-2222",
        op_claim_id="cm0b57zjv00myq52xh0c590b8",
    )


def post(client, body, *, secret: str | None = SECRET):
    headers = {"HTTP_X_WEBHOOK_SECRET": secret} if secret is not None else {}
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **headers)


def app_event(topic: str, **body) -> dict:
    """The app webhooks' spelling: slash topics, camelCase, no event id."""
    return {"topic": topic, "body": {"claimId": "cm0b57zjv00myq52xh0c590b8"} | body}


def merchant_event(event_id: str, topic: str, **body) -> dict:
    """The merchant webhooks' spelling: an envelope with an id, dot topics, snake_case."""
    return {
        "id": event_id,
        "topic": topic,
        "created_at": "2026-11-28T12:00:00Z",
        "body": {"claim_id": "cm-unknown-to-us", "source_order_id": "SB-1111-2222"} | body,
    }


def process_all() -> list[str]:
    return [
        webhook_event_process(event_pk=pk)
        for pk in WebhookEvent.objects.order_by("pk").values_list("pk", flat=True)
    ]


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
def test_a_wrong_or_missing_secret_is_refused(client, db, secret):
    response = post(client, app_event("claim/approved"), secret=secret)

    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_without_a_configured_secret_every_event_is_refused(client, db, settings):
    settings.ORDERPROTECTION_WEBHOOK_SECRET = ""

    assert post(client, app_event("claim/approved"), secret="").status_code == 401


def test_the_receiver_needs_no_login_and_no_csrf_token(db, filed_claim):
    from django.test import Client

    response = post(Client(enforce_csrf_checks=True), app_event("claim/created"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "duplicate": False}


def test_an_app_webhook_approves_the_claim_it_names_by_claim_id(client, filed_claim):
    post(client, app_event("claim/approved", storeId="store_123", resolutions=[{"type": "RESHIP"}]))

    assert process_all() == ["APPROVED recorded"]
    filed_claim.refresh_from_db()
    assert (filed_claim.claim_state, filed_claim.op_resolution) == ("APPROVED", "RESHIP")
    change = filed_claim.state_changes.get()
    assert (change.state, change.source) == ("APPROVED", ClaimStateChange.Source.WEBHOOK)
    assert change.event == WebhookEvent.objects.get()


def test_a_merchant_webhook_denies_the_claim_it_names_by_number(client, filed_claim):
    post(
        client,
        merchant_event(
            "evt-1", "claim.denied", claim_state="DENIED", resolutions=[{"type": "NOT_COVERED"}]
        ),
    )

    process_all()

    filed_claim.refresh_from_db()
    assert (filed_claim.claim_state, filed_claim.op_denial_reason) == ("DENIED", "NOT_COVERED")
    assert filed_claim.state_next_check_at is None  # final: no more polling


def test_a_repeated_delivery_is_stored_and_applied_once(client, filed_claim):
    first = post(client, merchant_event("evt-7", "claim.approved"))
    again = post(client, merchant_event("evt-7", "claim.approved"))
    app_once = post(client, app_event("claim/denied"))
    app_again = post(client, app_event("claim/denied"))

    assert [r.json()["duplicate"] for r in (first, again, app_once, app_again)] == [
        False,
        True,
        False,
        True,
    ]
    assert WebhookEvent.objects.count() == 2
    process_all()
    process_all()
    assert list(filed_claim.state_changes.values_list("state", flat=True)) == [
        "APPROVED",
        "DENIED",
    ]


def test_a_late_created_event_does_not_undo_a_later_state(client, filed_claim):
    post(client, app_event("claim/approved"))
    process_all()
    post(client, merchant_event("evt-created", "claim.created", claim_state="NEW"))

    assert process_all()[-1] == "NEW already known"
    filed_claim.refresh_from_db()
    assert filed_claim.claim_state == "APPROVED"


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        (
            {"topic": "message/created", "body": {"claimId": "x"}},
            "topic 'message/created' is not followed; kept",
        ),
        (app_event("claim/approved", claimId="cm-nobody"), "no claim of this portal matches; kept"),
        (
            {"topic": "claim.approved", "body": "not an object"},
            "no claim of this portal matches; kept",
        ),
    ],
)
def test_events_the_portal_cannot_use_are_kept_and_acknowledged(client, filed_claim, body, outcome):
    response = post(client, body)

    assert response.status_code == 200
    assert process_all() == [outcome]
    assert WebhookEvent.objects.get().processed_at is not None


@pytest.mark.parametrize(("body", "status"), [(b"not json", 400), (b"[1, 2]", 400), (b"{}", 200)])
def test_bodies_that_are_not_json_objects_get_400(client, db, body, status):
    assert post(client, body).status_code == status


def test_an_oversized_body_gets_413(client, db, settings):
    settings.WEBHOOK_MAX_BYTES = 100

    assert post(client, app_event("claim/approved", padding="x" * 200)).status_code == 413


@pytest.mark.django_db(transaction=True)
def test_the_event_is_applied_by_the_background_worker(client, filed_claim):
    post(client, app_event("claim/approved", resolutions=[{"type": "REFUND"}]))
    filed_claim.refresh_from_db()
    assert filed_claim.claim_state == ""  # not applied in the request

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    filed_claim.refresh_from_db()
    assert filed_claim.claim_state == "APPROVED"
    assert reverse("orderprotection-webhook") == URL
