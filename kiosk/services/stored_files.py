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

from kiosk.models import Claim, ClaimAttachment, DeliveryAttempt

logger = logging.getLogger(__name__)

# Where attachments are stored (kiosk.models.attachment's upload_to).
STORED_FOLDERS = ("claims", "thumbnails")


def stored_files_delete_on_commit(*, names: Iterable[str], claim_pk: int) -> None:
    """Delete these files of one claim once the open transaction commits (at once outside one).

    Never when it rolls back: the rows that name them are then back. Each file is
    checked again at that moment, and kept if anything names it.
    """
    names = [name for name in names if name]
    if names:
        delete = partial(stored_files_delete, names=names, claim_pk=claim_pk)
        transaction.on_commit(delete, robust=True)


def stored_files_delete(*, names: Iterable[str], claim_pk: int | None = None) -> list[str]:
    """Delete each file that nothing names (see `stored_file_named`); return those deleted.

    `claim_pk` names the claim the files were stored for, when it is known: a stored name
    is random and belongs to one claim, so only that claim's rows and bodies are read.
    """
    deleted = []
    for name in names:
        if stored_file_named(name=name, claim_pk=claim_pk):
            logger.info("Kept %s: a claim still names it.", name)
            continue
        default_storage.delete(name)
        deleted.append(name)
    return deleted


def stored_file_named(*, name: str, claim_pk: int | None = None) -> bool:
    """Whether an attachment row names this file, or a claim's queued or sent body does."""
    rows = ClaimAttachment.objects.filter(Q(file=name) | Q(thumbnail=name))
    if claim_pk is not None:
        rows = rows.filter(claim_id=claim_pk)
    if rows.exists():
        return True
    return stored_file_sent(name=name, claim_pk=claim_pk)


def stored_file_sent(*, name: str, claim_pk: int | None = None) -> bool:
    """Whether the body queued for a claim (this one, if given), or any attempt's, names it."""
    # Stored names are random: the last part of the name is in the file's URL, whatever
    # the storage makes of the rest (a presigned S3 URL, a signed local one).
    stem = name.rsplit("/", 1)[-1]
    claims = Claim.objects.filter(request_payload__icontains=stem)
    attempts = DeliveryAttempt.objects.filter(request_body__icontains=stem)
    if claim_pk is not None:
        claims, attempts = claims.filter(pk=claim_pk), attempts.filter(claim_id=claim_pk)
    return claims.exists() or attempts.exists()


@dataclass(frozen=True)
class OrphanPurgeReport:
    files_removed: int
    kept_because_named: int


def orphan_files_purge(
    *, older_than_seconds: float | None = None, every_month: bool = False
) -> OrphanPurgeReport:
    """Delete stored files that no row and no sent body names, older than the grace period.

    Such files were written by a request that then rolled back (or failed before
    recording them). The grace period is MEDIA_ORPHAN_GRACE_SECONDS unless given:
    a younger file may belong to a request still running. Files are stored by month
    (claims/YYYY/MM/): a regular run reads this month's and last month's folders, which
    hold everything a request can have left since the previous run; `every_month` reads
    them all. Idempotent.
    """
    if older_than_seconds is None:
        older_than_seconds = settings.MEDIA_ORPHAN_GRACE_SECONDS
    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    attachments = ClaimAttachment.objects.all()
    if every_month:
        folders = list(STORED_FOLDERS)
    else:
        months = _recent_months(now)
        folders = [f"{folder}/{month}" for folder in STORED_FOLDERS for month in months]
        in_folders = Q()
        for folder in folders:
            in_folders |= Q(file__startswith=f"{folder}/") | Q(thumbnail__startswith=f"{folder}/")
        attachments = attachments.filter(in_folders)
    named = set()
    for file, thumbnail in attachments.values_list("file", "thumbnail").iterator():
        named.update((file, thumbnail))
    candidates = [
        name
        for folder in folders
        for name in _names_under(folder)
        if name not in named and default_storage.get_modified_time(name) < cutoff
    ]
    removed = stored_files_delete(names=candidates)
    return OrphanPurgeReport(len(removed), len(candidates) - len(removed))


def _recent_months(now) -> list[str]:
    last_month = now.replace(day=1) - timedelta(days=1)
    return [f"{last_month:%Y/%m}", f"{now:%Y/%m}"]


def _names_under(folder: str) -> Iterator[str]:
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:  # nothing stored there yet
        return
    yield from (f"{folder}/{name}" for name in files)
    for sub in folders:
        yield from _names_under(f"{folder}/{sub}")
