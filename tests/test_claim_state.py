"""Following a filed claim's state at OrderProtection: webhooks and polling, over real HTTP."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kiosk.followup.polling import claim_states_poll
from kiosk.models import Claim, ClaimStateChange
from kiosk.services.submission import claim_submit

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "whsec-e2e"


@pytest.fixture
def filed(complete_claim, api_to_sandbox, media_server):
    claim_submit(claim=complete_claim, media_base_url=media_server)
    complete_claim.refresh_from_db()
    assert complete_claim.status == Claim.Status.FILED
    return complete_claim


@pytest.fixture
def webhooks_to_portal(settings, live_server, api_to_sandbox):
    """The sandbox posts its claim events to this portal's receiver, over HTTP."""
    settings.ORDERPROTECTION_WEBHOOK_SECRET = SECRET

    def configure(style: str, repeat: int = 1):
        api_to_sandbox.set_webhook(
            url=live_server.url + reverse("orderprotection-webhook"),
            secret=SECRET,
            style=style,
            repeat=repeat,
        )

    return configure


def run_worker_once():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.mark.parametrize("style", ["app", "merchant"])
def test_a_webhook_turns_the_filed_claim_approved(
    style, filed, api_to_sandbox, webhooks_to_portal, associate_client
):
    webhooks_to_portal(style, repeat=2)  # deliveries may repeat

    result = api_to_sandbox.set_claim_state(filed.claim_number, "APPROVED", resolution="REFUND")
    run_worker_once()

    assert [d["status"] for d in result["webhooks"]] == [200, 200]
    filed.refresh_from_db()
    assert (filed.claim_state, filed.op_resolution) == ("APPROVED", "REFUND")
    assert filed.orderprotection_id == result["claim"]["id"]
    changes = list(filed.state_changes.values_list("state", "source"))
    assert changes == [("APPROVED", ClaimStateChange.Source.WEBHOOK)]
    page = associate_client.get(reverse("kiosk:claim-result", args=[filed.reference]))
    assert b"Approved" in page.content


def test_a_denial_webhook_records_the_reason(
    filed, api_to_sandbox, webhooks_to_portal, associate_client
):
    webhooks_to_portal("merchant")

    api_to_sandbox.set_claim_state(filed.claim_number, "DENIED", reason="NOT_COVERED")
    run_worker_once()

    filed.refresh_from_db()
    assert (filed.claim_state, filed.op_denial_reason) == ("DENIED", "NOT_COVERED")
    page = associate_client.get(reverse("kiosk:claim-result", args=[filed.reference]))
    assert b"Not covered" in page.content


def due_now(claim):
    Claim.objects.filter(pk=claim.pk).update(state_next_check_at=timezone.now())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"state": "APPROVED", "resolution": "RESHIP"}, ("APPROVED", "RESHIP", "")),
        ({"state": "DENIED", "reason": "ALREADY_REPLACED"}, ("DENIED", "", "ALREADY_REPLACED")),
    ],
)
def test_polling_finds_the_state_without_webhooks(filed, api_to_sandbox, change, expected):
    api_to_sandbox.set_claim_state(filed.claim_number, notify=False, **change)
    due_now(filed)

    report = claim_states_poll(pause=0)

    filed.refresh_from_db()
    assert report.changed == [filed.reference]
    assert (filed.claim_state, filed.op_resolution, filed.op_denial_reason) == expected
    assert filed.state_changes.get().source == ClaimStateChange.Source.POLL


def test_polling_backs_off_while_nothing_changes_and_stops_at_a_final_state(
    filed, api_to_sandbox, settings
):
    settings.CLAIM_STATE_POLL_FIRST = 60
    due_now(filed)
    claim_states_poll(pause=0)
    filed.refresh_from_db()
    assert filed.claim_state == "NEW"  # the first look records what OrderProtection says
    due_now(filed)
    claim_states_poll(pause=0)  # unchanged
    filed.refresh_from_db()
    first_wait = filed.state_check_interval
    due_now(filed)
    claim_states_poll(pause=0)  # unchanged again
    filed.refresh_from_db()
    assert filed.state_check_interval == 2 * first_wait

    api_to_sandbox.set_claim_state(filed.claim_number, "DENIED", notify=False)
    due_now(filed)
    claim_states_poll(pause=0)

    filed.refresh_from_db()
    assert filed.claim_state == "DENIED"
    assert filed.state_next_check_at is None
    requests_before = len(api_to_sandbox.received)
    assert claim_states_poll(pause=0).checked == 0
    assert len(api_to_sandbox.received) == requests_before


def test_polling_takes_a_few_claims_per_run_and_stops_on_a_rate_limit(
    make_complete_claim, api_to_sandbox, media_server
):
    claims = []
    for _ in range(3):
        claim = make_complete_claim()
        claim_submit(claim=claim, media_base_url=media_server)
        due_now(claim)
        claims.append(claim)
    api_to_sandbox.set_lookup_faults(mode="rate_limit_429", retry_after=120, times=1)

    limited = claim_states_poll(pause=0, limit=3)
    batch = claim_states_poll(pause=0, limit=2)

    assert limited.checked == 1 and "429" in limited.stopped_early
    assert batch.checked == 2
    pushed_back = Claim.objects.get(reference=limited.failed[0])
    wait = (pushed_back.state_next_check_at - timezone.now()).total_seconds()
    assert wait > 100  # at least the Retry-After


def test_the_poll_command_reports_what_it_did(filed, api_to_sandbox):
    from io import StringIO

    api_to_sandbox.set_claim_state(filed.claim_number, "OPEN", notify=False)
    due_now(filed)
    out = StringIO()

    call_command("poll_claim_states", "--pause", "0", stdout=out)

    assert f"{filed.reference}: new state recorded" in out.getvalue()
    assert "1 claim(s) checked, 1 changed, 0 failed" in out.getvalue()


def test_an_associate_finds_a_customers_claims_by_full_email_or_phone_only(filed, associate_client):
    url = reverse("kiosk:customer-claims")

    by_email = associate_client.get(url, {"contact": "CUSTOMER@example.com"})
    by_phone = associate_client.get(url, {"contact": "(212) 555-0100"})
    partial = associate_client.get(url, {"contact": "customer@"})
    other = associate_client.get(url, {"contact": "someone@example.com"})

    assert filed.claim_number.encode() in by_email.content
    assert filed.claim_number.encode() in by_phone.content
    assert filed.claim_number.encode() not in partial.content
    assert b"whole email address" in partial.content
    assert b"No claims for this customer" in other.content


def test_an_associate_of_another_store_finds_nothing(filed, client, django_user_model):
    from tests.factories import StoreFactory

    outsider = django_user_model.objects.create_user("outsider", password="pw-outsider-1")
    StoreFactory(members=[outsider])
    client.force_login(outsider)

    page = client.get(reverse("kiosk:customer-claims"), {"contact": "customer@example.com"})

    assert filed.claim_number.encode() not in page.content
    assert b"No claims for this customer" in page.content


def test_polling_does_not_undo_a_newer_state_a_webhook_brought(
    filed, api_to_sandbox, client, settings
):
    """Issue 15, finding 7: a polled state goes through the same order rule as webhooks."""
    import json

    settings.ORDERPROTECTION_WEBHOOK_SECRET = SECRET
    api_to_sandbox.set_claim_state(filed.claim_number, "APPROVED", notify=False)
    denial = {
        "id": "evt-denied-later",
        "topic": "claim.denied",
        "created_at": timezone.now().isoformat(),
        "body": {"source_order_id": filed.claim_number, "resolutions": [{"type": "OTHER"}]},
    }
    response = client.post(
        reverse("orderprotection-webhook"),
        data=json.dumps(denial),
        content_type="application/json",
        HTTP_X_WEBHOOK_SECRET=SECRET,
    )
    run_worker_once()
    due_now(filed)

    report = claim_states_poll(pause=0)  # OrderProtection's listing still says APPROVED

    assert response.status_code == 200
    filed.refresh_from_db()
    assert (filed.claim_state, filed.op_denial_reason) == ("DENIED", "OTHER")
    assert report.changed == []
    kept = list(filed.state_changes.values_list("state", "source", "flag"))
    assert kept == [
        ("DENIED", ClaimStateChange.Source.WEBHOOK, ClaimStateChange.Flag.APPLIED),
        ("APPROVED", ClaimStateChange.Source.POLL, ClaimStateChange.Flag.LATE),
    ]
    due_now(filed)
    claim_states_poll(pause=0)  # asked again: the same stale answer is not kept twice
    assert filed.state_changes.count() == 2
