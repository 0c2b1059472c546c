"""Personal data is purged after the retention period; the audit skeleton stays."""

import datetime
import json
from io import StringIO

from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kiosk.models import Claim, DeliveryAttempt
from kiosk.risk.scoring import claim_risk_assess
from kiosk.services.retention import personal_data_purge
from tests.factories import ClaimFactory


def filed_long_ago(claim: Claim, days: int) -> Claim:
    submitted = timezone.now() - datetime.timedelta(days=days)
    Claim.objects.filter(pk=claim.pk).update(
        status=Claim.Status.FILED,
        claim_number="SB-1111-2222",
        submitted_at=submitted,
        filed_at=submitted,
        claim_state="APPROVED",
        request_payload={"customer": {"email": claim.customer_email}, "storeId": "store_123"},
        response_body={"status": "ok", "payload": {"customer": {"email": claim.customer_email}}},
    )
    DeliveryAttempt.objects.create(
        claim=claim,
        number=1,
        url="https://api.test/v1/claims/offline",
        request_body={"customer": {"email": claim.customer_email}},
        status_code=201,
        response_body=f'{{"email": "{claim.customer_email}"}}',
        outcome="filed",
    )
    claim.refresh_from_db()
    return claim


def test_old_claims_lose_their_personal_data_and_keep_the_audit_skeleton(
    make_complete_claim, settings, admin_client, django_capture_on_commit_callbacks
):
    old = filed_long_ago(make_complete_claim(), days=settings.PERSONAL_DATA_RETENTION_DAYS + 1)
    recent = filed_long_ago(make_complete_claim(), days=30)
    files = [a.file.name for a in old.attachments.all()]
    assert files and all(default_storage.exists(name) for name in files)
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):  # files go after the commit
        call_command("purge_personal_data", stdout=out)

    old.refresh_from_db()
    for value in (old.customer_email, old.customer_phone, old.ship_first_name, old.ship_address1):
        assert value == ""
    assert old.request_payload is None and old.response_body is None
    assert old.item_details == "" and old.ship_lat is None
    assert len(old.request_payload_sha256) == 64 and old.personal_data_purged_at
    assert (old.claim_number, old.status, old.claim_state) == (
        "SB-1111-2222",
        "filed",
        "APPROVED",
    )
    assert old.store_id and old.submitted_at and old.filed_at
    attempt = old.attempts.get()
    assert attempt.request_body == {"purged": True} and attempt.response_body == ""
    assert not any(default_storage.exists(name) for name in files)
    recent.refresh_from_db()
    assert recent.customer_email and recent.request_payload
    assert "Personal data removed from 1 claim(s), with 3 file(s)" in out.getvalue()
    # The desk still opens the claim.
    page = admin_client.get(reverse("admin:kiosk_claim_change", args=[old.pk]))
    assert page.status_code == 200

    again = personal_data_purge()
    assert again.claims == 0 and again.files_removed == 0  # idempotent


def test_the_purge_works_in_batches(make_complete_claim, settings):
    for _ in range(5):
        filed_long_ago(make_complete_claim(), days=settings.PERSONAL_DATA_RETENTION_DAYS + 1)

    report = personal_data_purge(batch_size=2)

    assert report.claims == 5
    assert not Claim.objects.exclude(customer_email="").filter(status="filed").exists()


def test_old_drafts_are_deleted_with_their_photos(store, associate, settings):
    old = ClaimFactory(store=store, created_by=associate, status=Claim.Status.DRAFT)
    recent = ClaimFactory(store=store, created_by=associate, status=Claim.Status.DRAFT)
    Claim.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=settings.DRAFT_PURGE_AFTER_DAYS + 1)
    )

    report = personal_data_purge()

    assert report.drafts_deleted == 1
    assert not Claim.objects.filter(pk=old.pk).exists()
    assert Claim.objects.filter(pk=recent.pk).exists()


def test_a_purged_claim_s_risk_signals_lose_what_its_personal_data_said(
    make_complete_claim, settings
):
    """A warranty override's reason, typed by the associate, may name the customer: the
    signals found in it go with it, and the claim is assessed afresh on what is left."""
    old = filed_long_ago(make_complete_claim(), days=settings.PERSONAL_DATA_RETENTION_DAYS + 1)
    old.warranty_override_reason = "Mrs Jane Doe swore she bought it last spring"
    old.save()
    # An earlier claim of the same customer: a repeat claimant until both are purged.
    filed_long_ago(make_complete_claim(), days=settings.PERSONAL_DATA_RETENTION_DAYS + 2)
    claim_risk_assess(claim_pk=old.pk)
    codes = set(old.risk_signals.values_list("code", flat=True))
    assert {"outside_warranty", "repeat_claimant"} <= codes

    personal_data_purge()

    old.refresh_from_db()
    remaining = list(old.risk_signals.all())
    assert not any("Jane" in json.dumps(signal.detail) for signal in remaining)
    assert not {"outside_warranty", "repeat_claimant", "photo_copy", "receipt_reuse"} & {
        signal.code for signal in remaining
    }
    assert old.risk_scored_at is not None
