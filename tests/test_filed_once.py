"""Filed once against a server that honours no idempotency key (the sandbox's default).

Each test drives the delivery service against the sandbox over real HTTP and counts
the claims at the sandbox.
"""

import threading
import time

import pytest
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone

from kiosk.delivery import sending
from kiosk.delivery.queue import claim_queue
from kiosk.delivery.recovery import deliveries_recover
from kiosk.delivery.results import Result
from kiosk.delivery.sending import claim_deliver, claim_send
from kiosk.models import Claim
from kiosk.services.submission import claim_build_payload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(complete_claim, api_to_sandbox, media_server):
    """The complete claim, queued for delivery with its body."""
    payload = claim_build_payload(claim=complete_claim, media_base_url=media_server)
    assert claim_queue(claim=complete_claim, payload=payload, claimable=Claim.objects.editable())
    return complete_claim


def deliver_until_settled(claim, *, rounds: int = 10) -> Claim:
    for _ in range(rounds):
        claim_deliver(claim_pk=claim.pk)
        claim.refresh_from_db()
        if claim.status in (Claim.Status.FILED, Claim.Status.NEEDS_ATTENTION):
            return claim
        Claim.objects.filter(pk=claim.pk).update(next_attempt_at=timezone.now())
    raise AssertionError(f"still {claim.status}")


def calls(claim) -> list[tuple[str, str]]:
    return list(claim.attempts.values_list("kind", "outcome"))


def test_a_failed_lookup_sends_nothing_and_is_tried_again(queued, api_to_sandbox):
    api_to_sandbox.set_faults(mode="error_503", after_filing=True, times=1)
    api_to_sandbox.set_lookup_faults(mode="error_502", times=2)

    claim = deliver_until_settled(queued)

    assert claim.status == Claim.Status.FILED
    assert calls(claim) == [
        ("send", "unknown"),
        ("lookup", "lookup_failed"),
        ("lookup", "lookup_failed"),
        ("lookup", "found"),
    ]
    assert "lookup failed, not sent again; retry in" in claim.attempts.all()[1].decision
    assert len(api_to_sandbox.claims) == 1
    assert [r.method for r in api_to_sandbox.received].count("POST") == 1


def test_two_claims_that_could_be_this_one_stop_for_a_manager(queued, api_to_sandbox, admin_client):
    import requests

    # Someone else filed the very same claim for this customer a moment ago.
    requests.post(
        f"{api_to_sandbox.url}/v1/claims/offline",
        json=queued.request_payload,
        headers={"Authorization": "Bearer sandbox-token"},
        timeout=10,
    ).raise_for_status()
    api_to_sandbox.set_faults(mode="drop", after_filing=True, times=1)

    claim = deliver_until_settled(queued)

    assert claim.status == Claim.Status.NEEDS_ATTENTION
    assert claim.attention_reason == Claim.AttentionReason.UNRESOLVED
    assert calls(claim) == [("send", "unknown"), ("lookup", "ambiguous")]
    assert len(api_to_sandbox.claims) == 2  # and not a third
    for number in api_to_sandbox.claims:
        assert number in claim.last_error
    page = admin_client.get(reverse("admin:kiosk_claim_change", args=[claim.pk])).content.decode()
    assert "Needs attention: May already be filed" in page


def test_with_reconciliation_off_an_unknown_outcome_is_resent_blindly(
    queued, api_to_sandbox, settings
):
    """The risk docs/exactly-once.md names for DELIVERY_RECONCILE=false, shown."""
    settings.DELIVERY_RECONCILE = False
    api_to_sandbox.set_faults(mode="drop", after_filing=True, times=1)

    claim = deliver_until_settled(queued)

    assert claim.status == Claim.Status.FILED
    assert calls(claim) == [("send", "unknown"), ("send", "filed")]
    assert len(api_to_sandbox.claims) == 2


def test_a_201_after_the_lease_was_taken_over_is_still_recorded(queued, api_to_sandbox):
    api_to_sandbox.set_faults(latency_ms=600, times=1)
    taken = Claim.objects.filter(pk=queued.pk).update(
        status=Claim.Status.SENDING, sending_started_at=timezone.now()
    )
    assert taken
    claim = Claim.objects.get(pk=queued.pk)

    def take_over():
        time.sleep(0.2)  # the request is at the sandbox now
        Claim.objects.filter(pk=claim.pk).update(
            status=Claim.Status.OUTCOME_UNKNOWN, sending_started_at=None
        )
        connection.close()

    thief = threading.Thread(target=take_over)
    thief.start()
    result = claim_send(claim)
    thief.join()

    claim.refresh_from_db()
    assert result == Result.FILED
    assert claim.status == Claim.Status.FILED
    assert claim.claim_number in api_to_sandbox.claims
    # The claim is filed: the recovered copy is never sent again.
    assert claim_deliver(claim_pk=claim.pk) == Result.NOT_DUE
    assert len(api_to_sandbox.claims) == 1


def test_a_second_filing_is_kept_and_flagged_not_lost(queued, api_to_sandbox, admin_client):
    claim = deliver_until_settled(queued)
    first_number = claim.claim_number
    # A sender that lost its lease long ago gets its answer now: a second claim.
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.SENDING)
    stale = Claim.objects.get(pk=claim.pk)
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.FILED)

    claim_send(stale)

    claim.refresh_from_db()
    second_number = next(n for n in api_to_sandbox.claims if n != first_number)
    assert claim.claim_number == first_number
    assert claim.possible_duplicates == [second_number]
    last = claim.attempts.order_by("-number").first()
    assert "possible duplicate, flagged for managers" in last.decision
    page = admin_client.get(reverse("admin:kiosk_claim_change", args=[claim.pk])).content.decode()
    assert second_number in page


def test_a_database_error_right_after_a_201_leads_to_a_lookup_not_a_resend(
    queued, api_to_sandbox, monkeypatch
):
    real_record = sending.claim_record_filed

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(sending, "claim_record_filed", database_gone)
    with pytest.raises(OperationalError):
        claim_deliver(claim_pk=queued.pk)
    monkeypatch.setattr(sending, "claim_record_filed", real_record)
    queued.refresh_from_db()
    assert queued.status == Claim.Status.SENDING

    recovery = deliveries_recover(stuck_after=0)
    queued.refresh_from_db()
    assert recovery.requeued == [queued.reference]
    assert queued.status == Claim.Status.OUTCOME_UNKNOWN
    claim = deliver_until_settled(queued)

    assert claim.status == Claim.Status.FILED
    assert calls(claim) == [("send", "interrupted"), ("lookup", "found")]
    assert len(api_to_sandbox.claims) == 1


def test_a_wrong_api_url_is_for_a_manager_not_the_associate(
    settings, associate_client, complete_claim, api_to_sandbox, media_server
):
    settings.ORDERPROTECTION_API_URL = api_to_sandbox.url + "/nowhere"  # answers 404

    response = associate_client.post(reverse("kiosk:claim-submit", args=[complete_claim.reference]))

    complete_claim.refresh_from_db()
    assert complete_claim.status == Claim.Status.NEEDS_ATTENTION
    assert complete_claim.attention_reason == Claim.AttentionReason.CONFIGURATION
    assert not complete_claim.is_editable
    assert complete_claim.attempts.get().status_code == 404
    page = associate_client.get(response.url).content.decode()
    assert "call a store manager" in page


def test_a_rejection_the_associate_cannot_fix_goes_to_a_manager(queued, api_to_sandbox):
    """A 400 naming storeId (store policy) is not the associate's to correct."""
    payload = dict(queued.request_payload, storeId=" ")
    Claim.objects.filter(pk=queued.pk).update(request_payload=payload)

    claim = deliver_until_settled(queued)

    assert claim.status == Claim.Status.NEEDS_ATTENTION
    assert claim.attention_reason == Claim.AttentionReason.REFUSED
    assert not claim.is_editable
    assert claim.last_error_field == ""
    assert claim.attempts.get().decision == "give up: 400 refused"
