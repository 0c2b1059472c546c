"""The audit row of each call to the API: opened before the call, closed after it."""

from django.conf import settings

from kiosk.models import Claim, DeliveryAttempt
from kiosk.orderprotection import (
    ApiUnauthorized,
    ClaimRejected,
    FiledClaim,
    HttpExchange,
    OrderProtectionError,
)

Outcome = DeliveryAttempt.Outcome


def attempt_open(
    *,
    claim: Claim,
    url: str,
    sent_from: str,
    kind: str = DeliveryAttempt.Kind.SEND,
    request_body: dict | None = None,
) -> DeliveryAttempt:
    last = claim.attempts.order_by("-number").values_list("number", flat=True).first() or 0
    return DeliveryAttempt.objects.create(
        claim=claim,
        number=last + 1,
        url=url,
        kind=kind,
        request_body=claim.request_payload if request_body is None else request_body,
        sent_from=sent_from,
    )


def attempt_close(
    attempt: DeliveryAttempt,
    *,
    decision: str,
    filed: FiledClaim | None = None,
    error: OrderProtectionError | None = None,
    exchange: HttpExchange | None = None,
    outcome: Outcome | None = None,
) -> None:
    """Record the answer: a filed claim, an API error, or a lookup's exchange and outcome."""
    exchange = exchange or (filed.exchange if filed else error.exchange)
    attempt.duration_ms = exchange.duration_ms
    attempt.status_code = exchange.status_code
    attempt.response_body = exchange.body_text[: settings.AUDIT_BODY_MAX_CHARS]
    attempt.decision = decision
    attempt.outcome = outcome or (Outcome.FILED if filed else error_outcome(error))
    if error is not None:
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
            "decision",
        ]
    )


def attempt_close_after_bug(attempt: DeliveryAttempt, *, error: Exception, decision: str) -> None:
    """A bug, not an API answer: there is no exchange to keep, only the error."""
    attempt.outcome, attempt.decision = Outcome.ERROR, decision
    attempt.error_class, attempt.error_message = type(error).__name__, str(error)
    attempt.save(update_fields=["outcome", "decision", "error_class", "error_message"])


def error_outcome(error: OrderProtectionError) -> Outcome:
    if isinstance(error, ClaimRejected):
        return Outcome.REJECTED
    if isinstance(error, ApiUnauthorized):
        return Outcome.UNAUTHORIZED
    if not error.permanent:
        return Outcome.UNKNOWN if error.outcome_unknown else Outcome.UNAVAILABLE
    return Outcome.MISCONFIGURED
