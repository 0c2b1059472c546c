"""Background delivery against the sandbox over real HTTP: one test per fault it can inject.

Each test submits through the associate's submit view, lets the database
worker (django-tasks-db, in this process) carry on, and checks the final
state, the attempts and what the associate and the manager see.
"""

import time

import pytest
from django.urls import reverse

from kiosk.models import Claim

pytestmark = pytest.mark.django_db(transaction=True)


def submit(client, claim):
    response = client.post(reverse("kiosk:claim-submit", args=[claim.reference]))
    claim.refresh_from_db()
    return response


def result_page(client, claim) -> str:
    return client.get(reverse("kiosk:claim-result", args=[claim.reference])).content.decode()


def attempts(claim) -> list[tuple]:
    return list(claim.attempts.values_list("number", "status_code", "outcome", "sent_from"))


def calls(claim) -> list[tuple[str, str]]:
    """(kind, outcome) of every call: "send" the claim, or "lookup" it at OrderProtection."""
    return list(claim.attempts.values_list("kind", "outcome"))


def decisions(claim) -> list[str]:
    return list(claim.attempts.values_list("decision", flat=True))


def assert_filed_once(claim, sandbox):
    assert claim.status == Claim.Status.FILED
    assert claim.claim_number in sandbox.claims
    assert len(sandbox.claims) == 1


def assert_associate_saw_saved_then_the_number(counter_page, client, claim):
    """At the counter: saved with its reference; once filed, the result page shows the number."""
    assert "Saved. It will be filed automatically." in counter_page
    assert claim.reference in counter_page
    assert claim.claim_number in result_page(client, claim)


def manager_page(admin_client, claim) -> str:
    return admin_client.get(reverse("admin:kiosk_claim_change", args=[claim.pk])).content.decode()


@pytest.fixture
def queued_then_worker(associate_client, complete_claim, api_to_sandbox, media_server, run_worker):
    """Submit at the counter; return the claim, the page then, and a function to run the worker."""

    def go():
        response = submit(associate_client, complete_claim)
        counter_page = associate_client.get(response.url).content.decode()
        return counter_page, run_worker(complete_claim)

    return go


def test_latency_above_the_counter_deadline_is_filed_by_the_worker_once(
    settings, associate_client, complete_claim, api_to_sandbox, queued_then_worker
):
    settings.DELIVERY_COUNTER_DEADLINE = 0.3
    api_to_sandbox.set_faults(latency_ms=800, times=1)

    counter_page, claim = queued_then_worker()

    assert "Saved. It will be filed automatically." in counter_page
    assert complete_claim.reference in counter_page
    # The first request reached the sandbox and was filed there; the worker
    # found it at OrderProtection instead of sending it again.
    assert_filed_once(claim, api_to_sandbox)
    assert_associate_saw_saved_then_the_number(counter_page, associate_client, claim)
    assert [a[2:] for a in attempts(claim)] == [("unknown", "counter"), ("found", "worker")]
    assert "outcome unknown: look it up first" in decisions(claim)[0]
    assert decisions(claim)[1] == (
        f"found at OrderProtection after an unknown outcome; filed as {claim.claim_number}"
    )
    assert claim.claim_number in result_page(associate_client, claim)


@pytest.mark.parametrize(
    ("mode", "status"), [("error_500", 500), ("error_502", 502), ("error_503", 503)]
)
def test_server_errors_are_retried_until_filed(
    associate_client, api_to_sandbox, queued_then_worker, mode, status
):
    api_to_sandbox.set_faults(mode=mode, times=2)

    counter_page, claim = queued_then_worker()

    assert "Saved. It will be filed automatically." in counter_page
    assert_filed_once(claim, api_to_sandbox)
    assert_associate_saw_saved_then_the_number(counter_page, associate_client, claim)
    # A 5xx may come after the claim was recorded: it is looked up before each re-send.
    assert [a[:3] for a in attempts(claim)] == [
        (1, status, "unknown"),
        (2, 200, "not_found"),
        (3, status, "unknown"),
        (4, 200, "not_found"),
        (5, 201, "filed"),
    ]
    assert decisions(claim)[0].startswith("retry in ")
    assert decisions(claim)[1].startswith("not found at OrderProtection")
    assert decisions(claim)[4] == f"filed as {claim.claim_number}"
    assert claim.claim_number in result_page(associate_client, claim)


def test_rate_limit_with_retry_after_waits_as_told(
    associate_client, api_to_sandbox, queued_then_worker
):
    api_to_sandbox.set_faults(mode="rate_limit_429", retry_after=1, times=1)

    counter_page, claim = queued_then_worker()

    assert_filed_once(claim, api_to_sandbox)
    assert_associate_saw_saved_then_the_number(counter_page, associate_client, claim)
    first, second = claim.attempts.order_by("number")
    assert first.status_code == 429 and "(Retry-After)" in first.decision
    assert (second.started_at - first.started_at).total_seconds() >= 1.0


def test_rate_limit_without_retry_after_backs_off(
    associate_client, api_to_sandbox, queued_then_worker
):
    api_to_sandbox.set_faults(mode="rate_limit_429", times=2)

    counter_page, claim = queued_then_worker()

    assert_filed_once(claim, api_to_sandbox)
    assert_associate_saw_saved_then_the_number(counter_page, associate_client, claim)
    assert [a[1] for a in attempts(claim)] == [429, 429, 201]
    assert "Retry-After" not in decisions(claim)[0]


def test_dropped_connection_is_retried_with_the_same_key(
    associate_client, api_to_sandbox, queued_then_worker
):
    api_to_sandbox.set_faults(mode="drop", times=1)

    counter_page, claim = queued_then_worker()

    assert_filed_once(claim, api_to_sandbox)
    assert_associate_saw_saved_then_the_number(counter_page, associate_client, claim)
    assert calls(claim) == [("send", "unknown"), ("lookup", "not_found"), ("send", "filed")]
    sent = [r for r in api_to_sandbox.received if r.method == "POST"]
    assert {r.headers["Idempotency-Key"] for r in sent} == {str(claim.idempotency_key)}


def test_hang_past_the_timeout_is_retried(
    associate_client, settings, api_to_sandbox, queued_then_worker
):
    settings.ORDERPROTECTION_READ_TIMEOUT = 0.3
    api_to_sandbox.set_faults(mode="hang", hang_seconds=1, times=1)

    counter_page, claim = queued_then_worker()

    assert_filed_once(claim, api_to_sandbox)
    assert_associate_saw_saved_then_the_number(counter_page, associate_client, claim)
    first = claim.attempts.order_by("number").first()
    assert first.outcome == "unknown" and first.duration_ms >= 300


def test_malformed_json_is_an_unknown_outcome_and_retried(
    associate_client, api_to_sandbox, queued_then_worker
):
    api_to_sandbox.set_faults(mode="malformed_json", times=1)

    counter_page, claim = queued_then_worker()

    assert_filed_once(claim, api_to_sandbox)
    assert_associate_saw_saved_then_the_number(counter_page, associate_client, claim)
    assert calls(claim) == [("send", "unknown"), ("lookup", "not_found"), ("send", "filed")]


def test_answer_lost_after_filing_is_not_filed_twice(
    associate_client, api_to_sandbox, queued_then_worker
):
    api_to_sandbox.set_faults(mode="drop", after_filing=True, times=1)

    counter_page, claim = queued_then_worker()

    assert_filed_once(claim, api_to_sandbox)
    assert_associate_saw_saved_then_the_number(counter_page, associate_client, claim)
    assert calls(claim) == [("send", "unknown"), ("lookup", "found")]
    assert [r.method for r in api_to_sandbox.received] == ["POST", "GET"]


def test_rejection_is_never_retried_and_needs_attention(
    associate_client, complete_claim, api_to_sandbox, media_server, run_worker, admin_client
):
    complete_claim.attachments.get(kind="receipt").file.delete(save=False)

    response = submit(associate_client, complete_claim)
    time.sleep(0.2)
    claim = run_worker(complete_claim)

    assert claim.status == Claim.Status.NEEDS_ATTENTION
    assert claim.attention_reason == Claim.AttentionReason.REJECTED
    assert [a[1:3] for a in attempts(claim)] == [(400, "rejected")]
    assert decisions(claim) == ["give up: 400 rejected, for the associate to correct"]
    # The associate is sent to the field; the manager sees the API's reason.
    assert response.url.endswith("/steps/item/")  # the receipt is on the item's page
    change = manager_page(admin_client, claim)
    assert "Needs attention: Rejected: the associate can correct it" in change
    assert "could not fetch image" in change


def test_unauthorized_static_token_needs_attention_configuration(
    settings, associate_client, complete_claim, api_to_sandbox, queued_then_worker, admin_client
):
    settings.ORDERPROTECTION_API_TOKEN = "revoked-token"

    counter_page, claim = queued_then_worker()

    assert claim.status == Claim.Status.NEEDS_ATTENTION
    assert claim.attention_reason == Claim.AttentionReason.CONFIGURATION
    assert [a[1:3] for a in attempts(claim)] == [(401, "unauthorized")]
    assert "call a store manager" in counter_page
    assert "revoked-token" not in counter_page
    assert "Needs attention: Configuration or credentials refused" in manager_page(
        admin_client, claim
    )


def test_expired_oauth_token_is_refreshed_and_retried_once(
    api_with_oauth, associate_client, make_complete_claim, media_server, admin_client
):
    submit(associate_client, make_complete_claim())  # obtains a token, cached for the store
    api_with_oauth.expire_tokens()
    claim = make_complete_claim()

    response = submit(associate_client, claim)

    assert claim.status == Claim.Status.FILED
    assert [a[1:3] for a in attempts(claim)] == [(401, "unauthorized"), (201, "filed")]
    assert decisions(claim)[0] == "refresh the OAuth token, retry now"
    assert len(api_with_oauth.claims) == 2
    tokens = [t for t in api_with_oauth.issued_tokens if t["store_id"] == "store_123"]
    assert [t["expired"] for t in tokens] == [True, False]
    assert claim.claim_number in associate_client.get(response.url).content.decode()
    assert "refresh the OAuth token, retry now" in manager_page(admin_client, claim)


def test_forbidden_needs_attention_configuration_without_retry(
    settings, api_with_oauth, queued_then_worker, admin_client
):
    settings.ORDERPROTECTION_OAUTH_SCOPES = ["read_claims"]

    counter_page, claim = queued_then_worker()

    assert claim.status == Claim.Status.NEEDS_ATTENTION
    assert claim.attention_reason == Claim.AttentionReason.CONFIGURATION
    assert [a[1:3] for a in attempts(claim)] == [(403, "unauthorized")]
    assert "call a store manager" in counter_page
    assert "Insufficient scope" in manager_page(admin_client, claim)


def test_transient_failures_past_the_attempt_limit_need_attention(
    settings, associate_client, api_to_sandbox, queued_then_worker, admin_client
):
    settings.DELIVERY_MAX_ATTEMPTS = 3
    api_to_sandbox.set_faults(mode="error_503")

    counter_page, claim = queued_then_worker()

    assert claim.status == Claim.Status.NEEDS_ATTENTION
    assert claim.attention_reason == Claim.AttentionReason.GAVE_UP
    sent = [a for a in claim.attempts.all() if a.kind == "send"]
    assert [a.status_code for a in sent] == [503, 503, 503]
    assert decisions(claim)[-1] == "give up after 3 attempts: 503"
    assert "HTTP 503" in claim.last_error
    assert "Saved. It will be filed automatically." in counter_page
    assert "a store manager will send it again" in result_page(associate_client, claim)
    manager_sees = manager_page(admin_client, claim)
    assert "Needs attention: Delivery gave up" in manager_sees
    assert "give up after 3 attempts: 503" in manager_sees


def test_transient_failures_past_the_age_limit_need_attention(
    settings, api_to_sandbox, queued_then_worker
):
    settings.DELIVERY_MAX_AGE = 0.5
    settings.DELIVERY_BACKOFF_BASE = settings.DELIVERY_BACKOFF_CAP = 0.2
    api_to_sandbox.set_faults(mode="error_500")

    counter_page, claim = queued_then_worker()

    assert claim.attention_reason == Claim.AttentionReason.GAVE_UP
    assert decisions(claim)[-1] == "give up past the maximum age: 500"
    assert "Saved. It will be filed automatically." in counter_page


def test_one_sender_at_a_time_and_never_after_filing(
    complete_claim, api_to_sandbox, media_server, monkeypatch
):
    import threading

    from django.db import connection

    from kiosk.delivery.queue import claim_queue
    from kiosk.delivery.results import Result
    from kiosk.delivery.sending import claim_deliver
    from kiosk.services.submission import claim_build_payload

    # The sandbox ignores idempotency keys: a second send would file a second claim.
    api_to_sandbox.set_faults(latency_ms=300)
    payload = claim_build_payload(claim=complete_claim, media_base_url=media_server)
    claim_queue(claim=complete_claim, payload=payload, claimable=Claim.objects.editable())
    results = []
    start = threading.Barrier(4)

    def sender():
        start.wait()
        try:
            results.append(claim_deliver(claim_pk=complete_claim.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == sorted([Result.FILED] + [Result.NOT_DUE] * 3)
    assert claim_deliver(claim_pk=complete_claim.pk) == Result.NOT_DUE
    assert len(api_to_sandbox.received) == 1
    assert len(api_to_sandbox.claims) == 1
    assert complete_claim.attempts.count() == 1


def test_a_bug_while_sending_stops_the_claim_for_a_person_and_is_raised(
    complete_claim, media_server
):
    from kiosk.delivery.queue import claim_queue
    from kiosk.delivery.sending import claim_deliver
    from kiosk.services.submission import claim_build_payload

    class BrokenClient:
        offline_claim_url = "http://sandbox.invalid/v1/claims/offline"

        def create_offline_claim(self, *args, **kwargs):
            raise RuntimeError("a bug in the portal")

    payload = claim_build_payload(claim=complete_claim, media_base_url=media_server)
    claim_queue(claim=complete_claim, payload=payload, claimable=Claim.objects.editable())

    with pytest.raises(RuntimeError):
        claim_deliver(claim_pk=complete_claim.pk, client=BrokenClient())

    complete_claim.refresh_from_db()
    assert complete_claim.status == Claim.Status.NEEDS_ATTENTION
    assert complete_claim.last_error == "Internal error while filing (RuntimeError)."
    attempt = complete_claim.attempts.get()
    assert (attempt.outcome, attempt.decision) == ("error", "give up: internal error")
