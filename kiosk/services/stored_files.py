"""The files of photos and signatures in storage, and the one place they are deleted.

A file is deleted only once the transaction that forgot it has committed, and only
if nothing names it then: no attachment row (current or removed), and no body
queued or sent for a claim. A request that writes a file and then rolls back leaves
it behind; `orphan_files_purge` deletes such files once MEDIA_ORPHAN_GRACE_SECONDS
have passed, long after any request that could still record them has ended.
"""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kiosk.models import Claim, ClaimAttachment, SubmissionAttempt

logger = logging.getLogger(__name__)

# Where attachments are stored (kiosk.models.attachment's upload_to).
STORED_FOLDERS = ("claims", "thumbnails")


def stored_files_delete_on_commit(*, names: Iterable[str]) -> None:
    """Delete these files once the open transaction commits (at once outside one).

    Never when it rolls back: the rows that name them are then back. Each file is
    checked again at that moment, and kept if anything names it.
    """
    names = [name for name in names if name]
    if names:
        transaction.on_commit(partial(stored_files_delete, names=names), robust=True)


def stored_files_delete(*, names: Iterable[str]) -> list[str]:
    """Delete each file that nothing names (see `stored_file_named`); return those deleted."""
    deleted = []
    for name in names:
        if stored_file_named(name=name):
            logger.info("Kept %s: a claim still names it.", name)
            continue
        default_storage.delete(name)
        deleted.append(name)
    return deleted


def stored_file_named(*, name: str) -> bool:
    """Whether an attachment row names this file, or a claim's queued or sent body does."""
    if ClaimAttachment.objects.filter(Q(file=name) | Q(thumbnail=name)).exists():
        return True
    return stored_file_sent(name=name)


def stored_file_sent(*, name: str, claim_pk: int | None = None) -> bool:
    """Whether the body queued for a claim (this one, if given), or any attempt's, names it."""
    # Stored names are random: the last part of the name is in the file's URL, whatever
    # the storage makes of the rest (a presigned S3 URL, a signed local one).
    stem = name.rsplit("/", 1)[-1]
    claims = Claim.objects.filter(request_payload__icontains=stem)
    attempts = SubmissionAttempt.objects.filter(request_body__icontains=stem)
    if claim_pk is not None:
        claims, attempts = claims.filter(pk=claim_pk), attempts.filter(claim_id=claim_pk)
    return claims.exists() or attempts.exists()


@dataclass(frozen=True)
class OrphanPurgeReport:
    files_removed: int
    kept_because_named: int


def orphan_files_purge(*, older_than_seconds: float | None = None) -> OrphanPurgeReport:
    """Delete stored files that no row and no sent body names, older than the grace period.

    Such files were written by a request that then rolled back (or failed before
    recording them). The grace period is MEDIA_ORPHAN_GRACE_SECONDS unless given:
    a younger file may belong to a request still running. Idempotent.
    """
    if older_than_seconds is None:
        older_than_seconds = settings.MEDIA_ORPHAN_GRACE_SECONDS
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    named = set()
    for file, thumbnail in ClaimAttachment.objects.values_list("file", "thumbnail").iterator():
        named.update((file, thumbnail))
    candidates = [
        name
        for name in _stored_names()
        if name not in named and default_storage.get_modified_time(name) < cutoff
    ]
    removed = stored_files_delete(names=candidates)
    return OrphanPurgeReport(len(removed), len(candidates) - len(removed))


def _stored_names() -> Iterator[str]:
    for folder in STORED_FOLDERS:
        yield from _names_under(folder)


def _names_under(folder: str) -> Iterator[str]:
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:  # nothing stored yet
        return
    yield from (f"{folder}/{name}" for name in files)
    for sub in folders:
        yield from _names_under(f"{folder}/{sub}")
