"""Filing a claim with OrderProtection, with an audit row for every HTTP call."""

import json
import logging
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from kiosk.models import Claim, SubmissionAttempt
from kiosk.orderprotection import (
    ApiUnauthorized,
    ApiUnavailable,
    ClaimRejected,
    FiledClaim,
    OrderProtectionClient,
    OrderProtectionError,
)
from kiosk.services.attachments import attachment_public_url
from kiosk.services.payload import PayloadInvalid, claim_payload, payload_validate

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    FILED = "filed"
    REJECTED = "rejected"
    UNAVAILABLE = "unavailable"
    UNAUTHORIZED = "unauthorized"
    INCOMPLETE = "incomplete"
    NOT_EDITABLE = "not_editable"


@dataclass(frozen=True)
class SubmissionResult:
    claim: Claim
    outcome: Outcome


def claim_build_payload(*, claim: Claim, media_base_url: str) -> dict:
    """The body that will be sent for this claim, with absolute URLs for its files."""
    return claim_payload(
        claim=claim,
        file_url=lambda attachment: attachment_public_url(
            attachment=attachment, media_base_url=media_base_url
        ),
    )


def claim_submit(
    *, claim: Claim, media_base_url: str, client: OrderProtectionClient | None = None
) -> SubmissionResult:
    """File a draft or rejected claim with the API.

    Only one request can move a claim out of draft, so a double tap or a
    reloaded page never files it twice. The payload is validated against the
    request schema before anything is sent. One SubmissionAttempt row is
    written before the HTTP call and completed after it; no transaction is
    open during the call. The claim ends filed, rejected (the API refused it,
    a person must correct it) or failed (the API was unavailable or refused
    our credentials).
    """
    if not claim.is_editable:
        return SubmissionResult(claim, Outcome.NOT_EDITABLE)
    payload = claim_build_payload(claim=claim, media_base_url=media_base_url)
    try:
        payload_validate(payload=payload)
    except PayloadInvalid as invalid:
        _claim_update(
            claim,
            last_error=f"This claim is not complete: {invalid}",
            last_error_field=invalid.field_paths[0],
        )
        return SubmissionResult(claim, Outcome.INCOMPLETE)

    now = timezone.now()
    claimed = Claim.objects.filter(pk=claim.pk, status__in=Claim.EDITABLE_STATUSES).update(
        status=Claim.Status.SUBMITTING, submitted_at=now, updated_at=now, request_payload=payload
    )
    if not claimed:
        claim.refresh_from_db()
        return SubmissionResult(claim, Outcome.NOT_EDITABLE)
    claim.status, claim.submitted_at, claim.request_payload = Claim.Status.SUBMITTING, now, payload

    client = client or OrderProtectionClient.from_settings()
    attempt = SubmissionAttempt.objects.create(
        claim=claim,
        number=claim.attempts.count() + 1,
        url=client.offline_claim_url,
        request_body=payload,
    )
    try:
        filed = client.create_offline_claim(payload, idempotency_key=str(claim.idempotency_key))
    except OrderProtectionError as error:
        _attempt_close(attempt, error=error)
        return _record_failure(claim, error)
    except Exception as error:
        # A bug, not an API answer: leave a trace, keep the claim, then fail loudly.
        attempt.error_class, attempt.error_message = type(error).__name__, str(error)
        attempt.save(update_fields=["error_class", "error_message"])
        _claim_update(claim, status=Claim.Status.FAILED, last_error="Internal error while filing.")
        raise
    _attempt_close(attempt, filed=filed)
    _claim_update(
        claim,
        status=Claim.Status.FILED,
        source_order_id=filed.source_order_id,
        filed_at=timezone.now(),
        response_status=filed.exchange.status_code,
        response_body=_response_json(filed.exchange.body_text),
        last_error="",
        last_error_field="",
    )
    logger.info("Claim %s filed as %s", claim.reference, filed.source_order_id)
    return SubmissionResult(claim, Outcome.FILED)


def _record_failure(claim: Claim, error: OrderProtectionError) -> SubmissionResult:
    common = {
        "response_status": error.exchange.status_code,
        "response_body": _response_json(error.exchange.body_text),
        "last_error": error.message,
    }
    if isinstance(error, ClaimRejected):
        _claim_update(
            claim, status=Claim.Status.REJECTED, last_error_field=error.field_path, **common
        )
        outcome = Outcome.REJECTED
    else:
        _claim_update(claim, status=Claim.Status.FAILED, last_error_field="", **common)
        outcome = (
            Outcome.UNAUTHORIZED if isinstance(error, ApiUnauthorized) else Outcome.UNAVAILABLE
        )
    logger.warning("Claim %s not filed (%s): %s", claim.reference, outcome, error.message)
    return SubmissionResult(claim, outcome)


def _claim_update(claim: Claim, **fields) -> None:
    for name, value in fields.items():
        setattr(claim, name, value)
    claim.save(update_fields=[*fields, "updated_at"])


def _attempt_close(
    attempt: SubmissionAttempt,
    *,
    filed: FiledClaim | None = None,
    error: OrderProtectionError | None = None,
) -> None:
    exchange = filed.exchange if filed else error.exchange
    attempt.duration_ms = exchange.duration_ms
    attempt.status_code = exchange.status_code
    attempt.response_body = exchange.body_text[: settings.AUDIT_BODY_MAX_CHARS]
    if filed:
        attempt.outcome = Outcome.FILED
    else:
        attempt.outcome = {
            ClaimRejected: Outcome.REJECTED,
            ApiUnauthorized: Outcome.UNAUTHORIZED,
            ApiUnavailable: Outcome.UNAVAILABLE,
        }[type(error)]
        attempt.error_class = type(error).__name__
        attempt.error_message = error.message
    attempt.save(
        update_fields=[
            "duration_ms",
            "status_code",
            "response_body",
            "outcome",
            "error_class",
            "error_message",
        ]
    )


def _response_json(body_text: str):
    """The response as JSON when it is JSON, else the text itself (capped)."""
    try:
        return json.loads(body_text)
    except ValueError:
        return body_text[: settings.AUDIT_BODY_MAX_CHARS] or None
