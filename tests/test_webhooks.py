"""OrderProtection's claim webhooks: the receiver, and what an event does to its claim."""

import hashlib
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from kiosk.followup.webhook_events import webhook_event_process
from kiosk.models import Claim, ClaimStateChange, WebhookEvent
from tests.factories import ClaimFactory

SECRET = "whsec-test-1"
URL = "/webhooks/orderprotection"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ORDERPROTECTION_WEBHOOK_SECRET = SECRET


@pytest.fixture
def filed_claim(store, associate):
    return ClaimFactory(
        store=store,
        created_by=associate,
        status=Claim.Status.FILED,
        claim_number="SB-1111-2222",
        orderprotection_id="cm0b57zjv00myq52xh0c590b8",
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

    assert process_all()[-1] == "NEW arrived late; kept, not applied"
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


# Issue 15, finding 7: webhooks applied any state in any order.


def timed_event(event_id: str, topic: str, created_at: str, **body) -> dict:
    return merchant_event(event_id, topic, **body) | {"created_at": created_at}


def desk_timeline(claim) -> str:
    from django.test import Client

    from tests.factories import UserFactory

    desk = Client()
    desk.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = desk.get(reverse("admin:kiosk_claim_change", args=[claim.pk])).content.decode()
    return page[page.index('data-testid="timeline"') :]


def tablet_result(claim) -> str:
    from django.test import Client

    tablet = Client()
    tablet.force_login(claim.created_by)
    page = tablet.get(reverse("kiosk:claim-result", args=[claim.reference])).content.decode()
    assert "Claim filed" in page and claim.claim_number in page
    return page


@pytest.mark.parametrize(
    ("newer", "older"),
    [
        (("claim.denied", "DENIED"), ("claim.approved", "APPROVED")),
        (("claim.created", "RESOLVED"), ("claim.approved", "APPROVED")),
    ],
)
def test_an_older_event_changes_nothing_and_is_kept_as_arrived_late(
    client, filed_claim, newer, older
):
    newer_topic, newer_state = newer
    post(
        client, timed_event("evt-new", newer_topic, "2026-11-28T12:00:00Z", claim_state=newer_state)
    )
    post(client, timed_event("evt-2020", older[0], "2020-01-01T00:00:00Z"))

    assert process_all() == [f"{newer_state} recorded", "APPROVED arrived late; kept, not applied"]
    filed_claim.refresh_from_db()
    assert filed_claim.claim_state == newer_state
    late = filed_claim.state_changes.get(state="APPROVED")
    assert late.flag == ClaimStateChange.Flag.LATE
    assert "Approved (as of 2020-01-01 00:00:00) arrived late, not applied" in desk_timeline(
        filed_claim
    )


def test_an_event_without_a_time_counts_from_when_it_arrived(client, filed_claim, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.CLAIM_STATE_CLOCK_SKEW = 300
    a_minute_ahead = (timezone.now() + timedelta(minutes=1)).isoformat()
    post(client, timed_event("evt-ahead", "claim.denied", a_minute_ahead))
    post(client, app_event("claim/approved"))  # no id, no time: as of its arrival, now

    assert process_all() == ["DENIED recorded", "APPROVED arrived late; kept, not applied"]
    filed_claim.refresh_from_db()
    assert filed_claim.claim_state == "DENIED"


def test_a_time_far_in_the_future_counts_as_the_arrival_and_freezes_nothing(client, filed_claim):
    post(client, timed_event("evt-2099", "claim.approved", "2099-01-01T00:00:00Z"))
    process_all()
    post(client, app_event("claim/denied"))

    assert process_all()[-1] == "DENIED recorded"
    filed_claim.refresh_from_db()
    assert filed_claim.claim_state == "DENIED"


def test_the_same_event_sent_with_other_whitespace_and_key_order_is_a_duplicate(
    client, filed_claim
):
    event = app_event("claim/approved", storeId="store_123", resolutions=[{"type": "REFUND"}])
    first = post(client, json.dumps(event))
    reordered = dict(reversed(event.items())) | {"body": dict(reversed(event["body"].items()))}
    again = post(client, json.dumps(reordered, indent=4, separators=(" ,", " :  ")))

    assert (first.status_code, again.status_code) == (200, 200)
    assert [first.json()["duplicate"], again.json()["duplicate"]] == [False, True]
    assert WebhookEvent.objects.count() == 1
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":")).encode()
    assert WebhookEvent.objects.get().event_id == "sha256:" + hashlib.sha256(canonical).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_event_are_stored_and_applied_once(filed_claim):
    import threading

    from django.db import connection
    from django.test import Client

    event = app_event("claim/approved", resolutions=[{"type": "RESHIP"}])
    spellings = [json.dumps(event), json.dumps(event, indent=2), json.dumps(event, indent=8)] * 2
    start = threading.Barrier(len(spellings))
    answers = []

    def deliver(body: str):
        start.wait()
        try:
            answers.append(post(Client(), body))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(body,)) for body in spellings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(a.status_code for a in answers) == [200] * len(spellings)
    assert sorted(a.json()["duplicate"] for a in answers) == [False] + [True] * 5
    event_pk = WebhookEvent.objects.get().pk
    webhook_event_process(event_pk=event_pk)
    WebhookEvent.objects.filter(pk=event_pk).update(processed_at=None)  # as if run twice
    webhook_event_process(event_pk=event_pk)
    assert list(filed_claim.state_changes.values_list("state", flat=True)) == ["APPROVED"]


def test_an_unknown_state_is_kept_flagged_and_never_shown_as_a_decision(client, filed_claim):
    post(
        client,
        timed_event("evt-odd", "claim.created", "2026-11-28T12:00:00Z", claim_state="Pwned_Lol"),
    )

    assert process_all() == ["Pwned_Lol is not a known state; kept, not applied"]
    filed_claim.refresh_from_db()
    assert filed_claim.claim_state == ""
    change = filed_claim.state_changes.get()
    assert (change.state, change.flag) == ("Pwned_Lol", ClaimStateChange.Flag.UNKNOWN_STATE)
    assert "unknown state &#x27;Pwned_Lol&#x27; received, not applied" in desk_timeline(filed_claim)
    assert "pwned" not in tablet_result(filed_claim).lower()


def test_a_state_stored_before_the_fix_is_not_shown_to_the_associate(filed_claim):
    Claim.objects.filter(pk=filed_claim.pk).update(claim_state="PWNED")

    page = tablet_result(filed_claim)

    assert "Claim filed" in page
    assert "Pwned" not in page and "PWNED" not in page


def test_a_state_added_to_the_setting_is_applied_without_a_code_change(
    client, filed_claim, settings
):
    settings.CLAIM_KNOWN_STATES = [*settings.CLAIM_KNOWN_STATES, "on_hold"]
    post(
        client,
        timed_event("evt-hold", "claim.created", "2026-11-28T12:00:00Z", claim_state="ON_HOLD"),
    )

    assert process_all() == ["ON_HOLD recorded"]
    filed_claim.refresh_from_db()
    assert filed_claim.claim_state == "ON_HOLD"


def test_an_event_naming_another_store_is_kept_flagged_and_changes_nothing(client, filed_claim):
    other = ClaimFactory(
        store__source_store_id="store_A",
        status=Claim.Status.FILED,
        claim_number="SB-3333-4444",
        orderprotection_id="cm-of-store-a",
    )
    post(client, app_event("claim/approved", storeId="store_A", resolutions=[{"type": "REFUND"}]))

    assert process_all() == ["APPROVED names another store; kept, not applied"]
    filed_claim.refresh_from_db()
    assert (filed_claim.claim_state, filed_claim.op_resolution) == ("", "")
    change = filed_claim.state_changes.get()
    assert (change.flag, change.store_id) == (ClaimStateChange.Flag.OTHER_STORE, "store_A")
    assert "Approved for another store (store_A) received, not applied" in desk_timeline(
        filed_claim
    )
    assert not other.state_changes.exists()


def test_the_desk_lists_claims_with_a_flagged_state(client, filed_claim):
    post(client, app_event("claim/approved", storeId="store_A"))
    process_all()
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:kiosk_claim_changelist")

    flagged = client.get(url, {"claim_state": "flag:other_store"}).content.decode()
    unknown = client.get(url, {"claim_state": "flag:unknown_state"}).content.decode()

    assert filed_claim.reference in flagged
    assert filed_claim.reference not in unknown


@pytest.mark.parametrize(
    "created_at", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-14:00", "2026-13-01", 12]
)
def test_an_event_time_that_cannot_be_stored_counts_as_no_time(client, filed_claim, created_at):
    response = post(client, timed_event("evt-odd-time", "claim.approved", created_at))

    assert response.status_code == 200
    assert WebhookEvent.objects.get().occurred_at is None
    assert process_all() == ["APPROVED recorded"]
