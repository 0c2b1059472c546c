"""claim_submit, the service behind the submit button, against the sandbox."""

from kiosk.delivery.results import Result
from kiosk.models import Claim
from kiosk.services.submission import claim_submit


def test_claim_submit_sends_the_claims_idempotency_key(
    complete_claim, api_to_sandbox, media_server
):
    result = claim_submit(claim=complete_claim, media_base_url=media_server)

    assert result.result == Result.FILED
    headers = api_to_sandbox.received[0].headers
    assert headers["Idempotency-Key"] == str(complete_claim.idempotency_key)


def test_claim_submit_never_sends_a_claim_that_fails_the_schema(
    complete_claim, api_to_sandbox, media_server
):
    complete_claim.store.source_store_id = ""
    complete_claim.store.save()

    result = claim_submit(claim=complete_claim, media_base_url=media_server)

    complete_claim.refresh_from_db()
    assert result.result == Result.INCOMPLETE
    assert complete_claim.status == Claim.Status.DRAFT
    assert complete_claim.last_error_field == "storeId"
    assert api_to_sandbox.received == []
    assert not complete_claim.attempts.exists()


def test_claim_submit_leaves_a_filed_claim_alone(complete_claim, api_to_sandbox, media_server):
    claim_submit(claim=complete_claim, media_base_url=media_server)
    stale = Claim.objects.get(pk=complete_claim.pk)
    stale.status = Claim.Status.DRAFT  # as a second tab still believes

    result = claim_submit(claim=stale, media_base_url=media_server)

    assert result.result == Result.NOT_EDITABLE
    assert result.claim.status == Claim.Status.FILED
    assert len(api_to_sandbox.received) == 1


def test_claim_submit_queues_when_the_counter_attempt_fails(
    complete_claim, api_to_sandbox, media_server
):
    api_to_sandbox.set_faults(mode="rate_limit_429", times=1)

    result = claim_submit(claim=complete_claim, media_base_url=media_server)

    complete_claim.refresh_from_db()
    assert result.result == Result.QUEUED
    assert complete_claim.status == Claim.Status.QUEUED
    assert complete_claim.delivery_attempts == 1
    assert complete_claim.next_attempt_at > complete_claim.queued_at
    attempt = complete_claim.attempts.get()
    assert (attempt.number, attempt.status_code, attempt.outcome) == (1, 429, "unavailable")


def test_claim_submit_waits_for_a_lookup_after_a_server_error(
    complete_claim, api_to_sandbox, media_server, settings
):
    settings.DELIVERY_LOOKUP_DELAY = 30
    api_to_sandbox.set_faults(mode="error_500", times=1)

    result = claim_submit(claim=complete_claim, media_base_url=media_server)

    complete_claim.refresh_from_db()
    attempt = complete_claim.attempts.get()
    # A 5xx may come after the claim was recorded: it is not sent again blindly.
    assert result.result == Result.QUEUED
    assert complete_claim.status == Claim.Status.OUTCOME_UNKNOWN
    assert (attempt.status_code, attempt.outcome) == (500, "unknown")
    assert "outcome unknown: look it up first" in attempt.decision
    wait = (complete_claim.next_attempt_at - attempt.started_at).total_seconds()
    assert wait >= 30


def test_a_risk_queue_that_fails_leaves_the_submit_whole(
    complete_claim, api_to_sandbox, media_server, monkeypatch, caplog
):
    """The risk task is queued in the submit's own transaction: a queue whose database
    statement fails (which aborts a PostgreSQL transaction) costs the claim nothing."""
    from django.db import connection

    from kiosk.risk import tasks

    class BrokenQueue:
        def enqueue(self, *args):
            with connection.cursor() as cursor:
                cursor.execute("SELECT * FROM no_such_queue_table")

    monkeypatch.setattr(tasks, "claim_risk_assess_task", BrokenQueue())

    result = claim_submit(claim=complete_claim, media_base_url=media_server)

    assert result.result == Result.FILED
    complete_claim.refresh_from_db()
    assert complete_claim.status == Claim.Status.FILED
    assert "the risk assessment could not be queued" in caplog.text
