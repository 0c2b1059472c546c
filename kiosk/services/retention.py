"""What the portal does not keep: the photos and signatures of drafts nobody came back to."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from kiosk.models import Claim, ClaimAttachment
from kiosk.services.attachments import attachment_was_sent


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

    A file that a sent request named is never deleted (a draft has none, but
    the rule holds wherever photos are deleted).
    """
    drafts = abandoned_drafts(older_than_days=older_than_days)
    attachments = ClaimAttachment.objects.filter(claim__in=drafts).select_related("claim")
    removed = kept = 0
    claims = set()
    for attachment in attachments.iterator(chunk_size=500):
        if attachment_was_sent(attachment=attachment):
            kept += 1
            continue
        attachment.file.delete(save=False)
        if attachment.thumbnail:
            attachment.thumbnail.delete(save=False)
        attachment.delete()
        claims.add(attachment.claim_id)
        removed += 1
    return PurgeReport(drafts=len(claims), files_removed=removed, kept_because_sent=kept)
