"""Recording what managers do at the desk: who, when and why. The record is append-only."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from kiosk.models import Claim, ManagerAction, Store
from kiosk.services.catalog_import import ImportReport, catalog_import
from kiosk.services.submission import claim_retry_delivery


def manager_action_record(
    *,
    user: AbstractBaseUser,
    action: str,
    reason: str = "",
    claim: Claim | None = None,
    detail: dict | None = None,
) -> ManagerAction:
    return ManagerAction.objects.create(
        user=user, action=action, reason=reason, claim=claim, detail=detail or {}
    )


def claims_retry(
    *, user: AbstractBaseUser, claims, reason: str, media_base_url: str
) -> tuple[list[Claim], list[Claim]]:
    """Queue again each claim that needs attention, on the record; returns (queued, not queued).

    A claim that was queued is recorded as retried by `user` for `reason`; one
    that could not be (still incomplete) is recorded too, with why not.
    """
    queued, refused = [], []
    for claim in claims:
        with transaction.atomic():
            done = claim_retry_delivery(claim=claim, media_base_url=media_base_url)
            manager_action_record(
                user=user,
                action=ManagerAction.Action.RETRY,
                reason=reason,
                claim=claim,
                detail={"queued": done, "error": "" if done else claim.last_error},
            )
        (queued if done else refused).append(claim)
    return queued, refused


def catalog_import_recorded(
    *,
    user: AbstractBaseUser,
    file,
    file_name: str,
    file_format: str,
    stores: list[Store],
    editable_stores: list[Store] | None,
) -> ImportReport:
    """Import a catalog file from the desk, on the record: the file's name, format, stores and
    counts, in the import's transaction (see catalog_import for the rest)."""
    with transaction.atomic():
        report = catalog_import(
            file=file, file_format=file_format, stores=stores, editable_stores=editable_stores
        )
        manager_action_record(
            user=user,
            action=ManagerAction.Action.CATALOG_IMPORT,
            detail={
                "file": file_name,
                "format": file_format,
                "stores": [store.source_store_id for store in stores],
                **report.counts(),
            },
        )
    return report
