"""What managers and the engineer on call use: retry, recovery, the admin index, /healthz."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kiosk.models import Claim
from kiosk.services.submission import claim_submit
from tests.factories import ClaimFactory, StoreFactory, UserFactory


def retry_action(client, *claims, reason: str = "The cause was fixed."):
    return client.post(
        reverse("admin:kiosk_claim_changelist"),
        {
            "action": "retry_delivery",
            "_selected_action": [c.pk for c in claims],
            "reason": reason,
            "confirmed": "yes",
        },
        follow=True,
    )


@pytest.mark.django_db(transaction=True)
def test_manager_retries_a_rejected_claim_after_the_cause_is_fixed(
    settings, manager_client, complete_claim, api_to_sandbox, media_server, run_worker
):
    # Misconfigured: the API cannot fetch our photos, so it rejects the claim; that is ours
    # to fix, not the associate's (here at once, rather than after the retries).
    settings.PUBLIC_MEDIA_BASE_URL = "http://127.0.0.1:9"
    settings.DELIVERY_IMAGE_FETCH_GIVE_UP_AFTER = 0
    claim_submit(claim=complete_claim, media_base_url=settings.PUBLIC_MEDIA_BASE_URL)
    complete_claim.refresh_from_db()
    assert complete_claim.attention_reason == Claim.AttentionReason.IMAGE_FETCH
    rejected_key = complete_claim.idempotency_key
    settings.PUBLIC_MEDIA_BASE_URL = media_server

    page = retry_action(manager_client, complete_claim)
    run_worker(complete_claim)

    assert f"Queued for delivery again: {complete_claim.reference}" in page.content.decode()
    assert complete_claim.status == Claim.Status.FILED
    assert complete_claim.request_payload["signature"].startswith(media_server)
    assert [a.outcome for a in complete_claim.attempts.all()] == ["rejected", "filed"]
    assert len(api_to_sandbox.claims) == 1
    # Another body, another key: a server that honours keys must not see a reused one.
    assert complete_claim.idempotency_key != rejected_key
    keys = [r.idempotency_key for r in api_to_sandbox.received if r.method == "POST"]
    assert keys == [str(rejected_key), str(complete_claim.idempotency_key)]


@pytest.mark.django_db(transaction=True)
def test_manager_retries_after_the_credentials_are_fixed(
    settings, manager_client, complete_claim, api_to_sandbox, media_server, run_worker
):
    settings.ORDERPROTECTION_API_TOKEN = "revoked-token"
    claim_submit(claim=complete_claim, media_base_url=media_server)
    complete_claim.refresh_from_db()
    assert complete_claim.attention_reason == Claim.AttentionReason.CONFIGURATION
    settings.ORDERPROTECTION_API_TOKEN = "sandbox-token"

    retry_action(manager_client, complete_claim)
    run_worker(complete_claim)

    assert complete_claim.status == Claim.Status.FILED
    assert complete_claim.delivery_attempts == 1  # a new round
    assert complete_claim.attempts.count() == 2
    assert len(api_to_sandbox.claims) == 1


def test_retry_action_leaves_claims_that_do_not_need_attention(manager_client, complete_claim):
    complete_claim.status = Claim.Status.FILED
    complete_claim.claim_number = "SB-0000-0001"
    complete_claim.save()

    page = retry_action(manager_client, complete_claim)

    assert "1 selected claim did not need attention and was left alone." in page.content.decode()
    complete_claim.refresh_from_db()
    assert complete_claim.status == Claim.Status.FILED
    assert not complete_claim.manager_actions.exists()


def test_retry_action_needs_its_permission(client, complete_claim, django_user_model):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="pw-viewer-1", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_claim"))
    complete_claim.store.members.add(viewer)
    complete_claim.status = Claim.Status.NEEDS_ATTENTION
    complete_claim.attention_reason = Claim.AttentionReason.GAVE_UP
    complete_claim.save()
    client.force_login(viewer)

    page = client.get(reverse("admin:kiosk_claim_changelist"))
    posted = client.post(
        reverse("admin:kiosk_claim_changelist"),
        {"action": "retry_delivery", "_selected_action": [complete_claim.pk], "reason": "x"},
    )

    assert complete_claim.reference.encode() in page.content  # the viewer sees the claim
    assert b'value="retry_delivery"' not in page.content
    assert posted.status_code in (200, 302)
    complete_claim.refresh_from_db()
    assert complete_claim.status == Claim.Status.NEEDS_ATTENTION
    assert not complete_claim.manager_actions.exists()


@pytest.mark.django_db(transaction=True)
def test_recover_deliveries_requeues_a_claim_left_sending(
    complete_claim, api_to_sandbox, media_server, run_worker
):
    # What a worker killed in the middle of a request leaves behind.
    long_ago = timezone.now() - datetime.timedelta(minutes=10)
    complete_claim.status = Claim.Status.SENDING
    complete_claim.request_payload = _payload(complete_claim, media_server)
    complete_claim.queued_at = complete_claim.sending_started_at = long_ago
    complete_claim.next_attempt_at = long_ago
    complete_claim.delivery_attempts = 1
    complete_claim.save()
    complete_claim.attempts.create(number=1, url="http://x/", request_body={}, started_at=long_ago)

    call_command("recover_deliveries", stdout=(out := __import__("io").StringIO()))
    run_worker(complete_claim)

    assert f"requeued {complete_claim.reference}" in out.getvalue()
    assert complete_claim.status == Claim.Status.FILED
    interrupted = complete_claim.attempts.get(number=1)
    assert interrupted.outcome == "interrupted"
    assert "look it up before sending again" in interrupted.decision
    # The interrupted request never reached the sandbox: not found there, so sent.
    assert list(complete_claim.attempts.values_list("kind", "outcome")) == [
        ("send", "interrupted"),
        ("lookup", "not_found"),
        ("send", "filed"),
    ]
    assert len(api_to_sandbox.claims) == 1


def test_recover_deliveries_leaves_a_claim_being_sent_now(complete_claim):
    complete_claim.status = Claim.Status.SENDING
    complete_claim.sending_started_at = timezone.now()
    complete_claim.save()

    call_command("recover_deliveries", stdout=__import__("io").StringIO())

    complete_claim.refresh_from_db()
    assert complete_claim.status == Claim.Status.SENDING


def test_admin_index_shows_undelivered_claims(manager_client, complete_claim):
    complete_claim.status = Claim.Status.NEEDS_ATTENTION
    complete_claim.attention_reason = Claim.AttentionReason.GAVE_UP
    complete_claim.queued_at = timezone.now()
    complete_claim.save()

    page = manager_client.get(reverse("admin:index")).content.decode()

    assert 'data-testid="undelivered-total">1<' in page
    assert "?status__exact=needs_attention" in page


def test_healthz_tells_anonymous_callers_only_ok(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_shows_staff_every_liveness_check(admin_client):
    body = admin_client.get("/healthz").json()

    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "storage", "task_queue"}


def test_a_long_delivery_backlog_fails_only_the_delivery_check(
    client, admin_client, complete_claim, settings
):
    settings.HEALTHZ_MAX_QUEUE_AGE = 60
    complete_claim.status = Claim.Status.OUTCOME_UNKNOWN
    complete_claim.queued_at = timezone.now() - datetime.timedelta(minutes=5)
    complete_claim.save()

    liveness = client.get("/healthz")
    delivery = client.get("/healthz/delivery")

    # OrderProtection being down must not take the web nodes out of rotation.
    assert liveness.status_code == 200
    assert delivery.status_code == 503
    assert delivery.json() == {"status": "fail"}
    details = admin_client.get("/healthz/delivery").json()["delivery"]
    assert details["ok"] is False and details["outcome_unknown"] == 1
    assert details["oldest_undelivered_age_seconds"] >= 300


def test_delivery_health_shows_a_manager_only_their_stores_counts(client, manager, store):
    other_store = StoreFactory(name="Harbour")
    for where, count in ((store, 1), (other_store, 2)):
        for _ in range(count):
            ClaimFactory(store=where, status=Claim.Status.QUEUED, queued_at=timezone.now())
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    storeless_staff = UserFactory(username="auditor", is_staff=True)

    client.force_login(manager)
    managers_view = client.get("/healthz/delivery").json()
    client.force_login(superuser)
    superusers_view = client.get("/healthz/delivery").json()
    client.force_login(storeless_staff)
    storeless_view = client.get("/healthz/delivery").json()

    assert managers_view["delivery"]["queued"] == 1
    assert managers_view["delivery"]["scope"] == "your stores"
    assert superusers_view["delivery"]["queued"] == 3
    assert storeless_view == {"status": "ok"}


def test_healthz_fails_on_broken_storage_without_saying_where(
    client, db, settings, tmp_path, caplog
):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the media directory should be")
    settings.MEDIA_ROOT = str(blocked)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.content.decode() == '{"status": "fail"}'
    assert "not-a-directory" in caplog.text


def _payload(claim, media_base_url):
    from kiosk.services.submission import claim_build_payload

    return claim_build_payload(claim=claim, media_base_url=media_base_url)
