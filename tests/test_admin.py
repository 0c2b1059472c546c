import pytest
from django.urls import reverse

from kiosk.models import Claim, SubmissionAttempt
from kiosk.services.demo import demo_setup


@pytest.fixture
def filed_claim(complete_claim):
    complete_claim.status = Claim.Status.FILED
    complete_claim.source_order_id = "XX-1234-5678"
    complete_claim.request_payload = {"storeId": "store_123", "issueType": "DEFECTIVE_ITEM"}
    complete_claim.response_body = {"status": "ok", "payload": {"sourceOrderId": "XX-1234-5678"}}
    complete_claim.save()
    SubmissionAttempt.objects.create(
        claim=complete_claim,
        number=1,
        url="http://sandbox/v1/claims/offline",
        request_body=complete_claim.request_payload,
        status_code=201,
        outcome="filed",
        duration_ms=212,
        response_body='{"status":"ok"}',
    )
    return complete_claim


def test_claim_admin_lists_claims_with_their_columns(manager_client, filed_claim):
    response = manager_client.get(reverse("admin:kiosk_claim_changelist"))

    assert response.status_code == 200
    content = response.content.decode()
    for text in (
        "XX-1234-5678",
        filed_claim.reference,
        "customer@example.com",
        "SKU-12345",
        "Defective item",
        "Refund",
        "Main Street",
    ):
        assert text in content


def test_claim_admin_searches_and_filters(manager_client, filed_claim):
    url = reverse("admin:kiosk_claim_changelist")

    assert filed_claim.reference in manager_client.get(url, {"q": "XX-1234"}).content.decode()
    assert filed_claim.reference not in manager_client.get(url, {"q": "nothing"}).content.decode()
    assert (
        filed_claim.reference
        not in manager_client.get(url, {"status__exact": "failed"}).content.decode()
    )


def test_claim_admin_shows_images_json_and_attempts(manager_client, filed_claim):
    response = manager_client.get(reverse("admin:kiosk_claim_change", args=[filed_claim.pk]))

    content = response.content.decode()
    assert content.count("class='audit-photo'") == 2
    assert "class='audit-signature'" in content
    assert "&quot;issueType&quot;: &quot;DEFECTIVE_ITEM&quot;" in content
    assert "&quot;sourceOrderId&quot;: &quot;XX-1234-5678&quot;" in content
    assert "212" in content  # the attempt's duration, inline


def test_claim_admin_cannot_change_or_delete_the_audit_record(manager_client, filed_claim):
    change_url = reverse("admin:kiosk_claim_change", args=[filed_claim.pk])

    response = manager_client.post(change_url, {"status": "draft", "source_order_id": ""})

    assert response.status_code == 403
    filed_claim.refresh_from_db()
    assert filed_claim.status == "filed"
    assert manager_client.get(reverse("admin:kiosk_claim_add")).status_code == 403
    assert (
        manager_client.post(reverse("admin:kiosk_claim_delete", args=[filed_claim.pk])).status_code
        == 403
    )
    attempt_url = reverse(
        "admin:kiosk_submissionattempt_change", args=[filed_claim.attempts.get().pk]
    )
    assert manager_client.post(attempt_url, {"status_code": 500}).status_code == 403


def test_superuser_cannot_edit_the_audit_record_either(admin_client, filed_claim):
    response = admin_client.post(reverse("admin:kiosk_claim_change", args=[filed_claim.pk]), {})

    assert response.status_code == 403


def test_demo_setup_is_idempotent(db):
    demo_setup()
    store, logins = demo_setup()

    assert store.members.count() == len(logins)


def test_admin_pages_show_the_sandbox_banner(manager_client):
    assert b'data-testid="sandbox-banner"' in manager_client.get(reverse("admin:index")).content
