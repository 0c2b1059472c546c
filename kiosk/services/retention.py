"""What the portal does not keep.

The photos and signatures of drafts nobody came back to; drafts themselves after
DRAFT_PURGE_AFTER_DAYS; and every claim's personal data once it was submitted more than
PERSONAL_DATA_RETENTION_DAYS ago, keeping only the audit skeleton: claim number, store,
dates, status, state, and a hash of the body that was sent.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from kiosk.models import Claim, ClaimAttachment, DeliveryAttempt, PhotoHash, WebhookEvent
from kiosk.risk.scoring import claim_risk_assess
from kiosk.services.attachments import attachment_discard, attachment_was_sent
from kiosk.services.drafts import ClaimNotEditable, claim_discard_draft

# The customer's data on a claim, and what it becomes.
PERSONAL_FIELDS = {
    "customer_email": "",
    "customer_phone": "",
    "ship_first_name": "",
    "ship_last_name": "",
    "ship_address1": "",
    "ship_address2": "",
    "ship_city": "",
    "ship_zip": "",
    "ship_lat": None,
    "ship_lng": None,
    "item_details": "",
    "product_description": "",
    "warranty_override_reason": "",
    "pending_input": {},
    "request_payload": None,
    "response_body": None,
    "last_error": "",
    "customer_copy_error": "",
}
PURGED_BODY = {"purged": True}


@dataclass(frozen=True)
class PurgeReport:
    drafts: int
    files_removed: int
    kept_because_sent: int


def abandoned_drafts(*, older_than_days: int | None = None) -> QuerySet[Claim]:
    """Drafts untouched for DRAFT_ABANDONED_AFTER_DAYS days (or `older_than_days`)."""
    days = settings.DRAFT_ABANDONED_AFTER_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - datetime.timedelta(days=days)
    return Claim.objects.filter(status=Claim.Status.DRAFT, updated_at__lt=cutoff)


def abandoned_draft_photos_purge(*, older_than_days: int | None = None) -> PurgeReport:
    """Delete the photos and signatures of abandoned drafts. Idempotent.

    Each draft is locked and checked again, so one submitted meanwhile keeps its
    files; and a file that a sent request named is never deleted (a draft has none,
    but the rule holds wherever photos are deleted).
    """
    days = settings.DRAFT_ABANDONED_AFTER_DAYS if older_than_days is None else older_than_days
    with_photos = abandoned_drafts(older_than_days=days).filter(attachments__isnull=False)
    removed = kept = drafts = 0
    for claim_pk in list(with_photos.distinct().values_list("pk", flat=True)):
        with transaction.atomic():
            locked = abandoned_drafts(older_than_days=days).select_for_update().filter(pk=claim_pk)
            if not locked.exists():
                continue  # resumed or submitted meanwhile
            for attachment in ClaimAttachment.objects.filter(claim_id=claim_pk):
                if attachment_was_sent(attachment=attachment):
                    kept += 1
                    continue
                attachment.delete()
                attachment_discard(attachment=attachment)
                removed += 1
        drafts += 1
    return PurgeReport(drafts=drafts, files_removed=removed, kept_because_sent=kept)


@dataclass(frozen=True)
class PersonalDataReport:
    claims: int
    files_removed: int
    drafts_deleted: int


def personal_data_purge(
    *, older_than_days: int | None = None, batch_size: int = 500
) -> PersonalDataReport:
    """Remove the personal data of claims submitted before the retention period. Idempotent.

    Works in batches of `batch_size` claims, each claim in its own short transaction;
    files are deleted after the transaction that forgets them. A claim still on its
    way (queued, sending, outcome unknown) waits until delivery settles. Drafts untouched for
    DRAFT_PURGE_AFTER_DAYS are deleted with their photos.
    """
    days = settings.PERSONAL_DATA_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - datetime.timedelta(days=days)
    # A claim still on its way keeps its body and files: the worker sends that body,
    # and OrderProtection fetches the files it names.
    due = Claim.objects.filter(
        submitted_at__lt=cutoff, personal_data_purged_at__isnull=True
    ).exclude(status__in=[Claim.Status.DRAFT, *Claim.IN_FLIGHT_STATUSES])
    claims = files = 0
    while batch := list(due.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        for claim_pk in batch:
            purged = _claim_personal_data_purge(claim_pk)
            if purged is not None:
                files += purged
                claims += 1
                # Its signals' details go with the data they were found in (a warranty
                # override's reason, say): what is left is assessed afresh.
                claim_risk_assess(claim_pk=claim_pk)
    return PersonalDataReport(claims, files, _old_drafts_delete())


def _claim_personal_data_purge(claim_pk: int) -> int | None:
    """The number of files forgotten; None if the claim went on its way meanwhile."""
    with transaction.atomic():
        claim = (
            Claim.objects.select_for_update()
            .exclude(status__in=Claim.IN_FLIGHT_STATUSES)
            .filter(pk=claim_pk)
            .first()
        )
        if claim is None:
            return None
        if claim.request_payload is not None:
            claim.request_payload_sha256 = _sha256(claim.request_payload)
        for name, value in PERSONAL_FIELDS.items():
            setattr(claim, name, value)
        claim.personal_data_purged_at = timezone.now()
        claim.save(
            update_fields=[*PERSONAL_FIELDS, "personal_data_purged_at", "request_payload_sha256"]
        )
        DeliveryAttempt.objects.filter(claim=claim).update(
            request_body=PURGED_BODY, response_body="", error_message=""
        )
        WebhookEvent.objects.filter(claim=claim).update(body=PURGED_BODY)
        attachments = list(claim.attachments.exclude(file=""))
        # The perceptual hashes go with the file: a purged photo matches no new claim.
        purged = [a.pk for a in attachments]
        ClaimAttachment.objects.filter(pk__in=purged).update(
            file="", thumbnail="", removed_at=timezone.now()
        )
        PhotoHash.objects.filter(attachment_id__in=purged).delete()
        for attachment in attachments:
            attachment_discard(attachment=attachment)
    return len(attachments)


def _old_drafts_delete() -> int:
    deleted = 0
    for draft in abandoned_drafts(older_than_days=settings.DRAFT_PURGE_AFTER_DAYS).iterator():
        try:
            claim_discard_draft(claim=draft)
        except ClaimNotEditable:
            continue  # submitted meanwhile
        deleted += 1
    return deleted


def _sha256(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
