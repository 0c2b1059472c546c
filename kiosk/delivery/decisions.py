"""What happens to a claim after each attempt: the decision, its audit text and new fields.

Each function is pure apart from reading settings and the clock; the delivery
service records the decision only while its sender still holds the claim.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from kiosk.delivery.audit import response_json
from kiosk.delivery.results import Result
from kiosk.models import Claim
from kiosk.orderprotection import (
    ApiMisconfigured,
    ApiUnauthorized,
    ApiUnavailable,
    ClaimRejected,
    OrderProtectionError,
)


@dataclass(frozen=True)
class Decision:
    result: Result
    text: str
    fields: dict = field(default_factory=dict)


def retry_delay(
    *, attempts: int, retry_after: float | None = None, floor: float | None = None
) -> float:
    """Seconds before the next attempt: exponential backoff with jitter (AWS, "Exponential
    Backoff and Jitter"), never sooner than Retry-After or `floor`.

    The backoff is drawn from [(1 - share) x ceiling, ceiling], share being
    DELIVERY_RETRY_JITTER (1: full jitter). A wait the API or the portal imposes is spread
    too, over [wait, (1 + share) x wait]: claims that failed together in an outage, all
    told "Retry-After: 60", must not all come back at the same second.
    """
    ceiling = min(
        settings.DELIVERY_BACKOFF_CAP, settings.DELIVERY_BACKOFF_BASE * 2 ** (max(attempts, 1) - 1)
    )
    share = settings.DELIVERY_RETRY_JITTER
    delay = random.uniform((1 - share) * ceiling, ceiling)
    for wait in (retry_after, floor):
        if wait is not None:
            delay = max(delay, jittered_wait(wait))
    return delay


def jittered_wait(seconds: float) -> float:
    """At least `seconds`, and up to DELIVERY_RETRY_JITTER x `seconds` more, at random."""
    return seconds + random.uniform(0, settings.DELIVERY_RETRY_JITTER * seconds)


def decide_after_bug(error: Exception) -> Decision:
    return _needs_attention(
        "give up: internal error",
        Claim.AttentionReason.GAVE_UP,
        {"last_error": f"Internal error while filing ({type(error).__name__})."},
    )


def decide_after_failure(
    claim: Claim, error: OrderProtectionError, *, associate_can_fix: bool
) -> Decision:
    """After a send that did not file the claim.

    A rejection naming a field the associate collected goes back to them; any
    other refusal, and configuration or credential errors, stop for a manager.
    A transient failure is retried; when the claim may have been filed, it is
    looked up at OrderProtection before it is sent again (DELIVERY_RECONCILE).
    """
    status = error.exchange.status_code
    common = {
        "response_status": status,
        "response_body": response_json(error.exchange.body_text),
        "last_error": error.message,
        "last_error_field": "",
    }
    if isinstance(error, ClaimRejected):
        if associate_can_fix:
            common["last_error_field"] = error.field_path
            return _needs_attention(
                f"give up: {status} rejected, for the associate to correct",
                Claim.AttentionReason.REJECTED,
                common,
            )
        return _needs_attention(f"give up: {status} refused", Claim.AttentionReason.REFUSED, common)
    if isinstance(error, ApiMisconfigured):
        what = "credentials refused" if isinstance(error, ApiUnauthorized) else "configuration"
        return _needs_attention(
            f"give up: {status or 'token request'} {what}",
            Claim.AttentionReason.CONFIGURATION,
            common,
        )
    assert isinstance(error, ApiUnavailable)
    return decide_to_retry(
        claim,
        why=str(status or type(error.__cause__ or error).__name__),
        retry_after=error.retry_after,
        outcome_unknown=error.outcome_unknown,
        fields=common,
    )


def decide_after_own_image_unfetched(
    claim: Claim, error: ClaimRejected, *, failing_since: datetime
) -> Decision:
    """OrderProtection could not fetch one of our own stored photos (kiosk.delivery.own_images).

    The photo is fine; media serving is at fault, or was too busy to answer in time. It
    is retried on the usual backoff, never sent back to the associate; once fetches have
    failed for DELIVERY_IMAGE_FETCH_GIVE_UP_AFTER seconds (since `failing_since`, the
    first such refusal of this round), or past the usual limits, it stops for a manager.
    """
    status = error.exchange.status_code
    fields = {
        "response_status": status,
        "response_body": response_json(error.exchange.body_text),
        "last_error": error.message,
        "last_error_field": "",
    }
    what = f"{status}: OrderProtection could not fetch our own image at {error.field_path}"
    failing_for = (timezone.now() - failing_since).total_seconds()
    if failing_for < settings.DELIVERY_IMAGE_FETCH_GIVE_UP_AFTER:
        retry = decide_to_retry(
            claim,
            why=what,
            retry_after=None,
            outcome_unknown=False,
            fields=fields,
            prefix=f"{what} (the photo is stored: ours, transient); ",
        )
        if retry.result is Result.QUEUED:
            return retry
        how_long = "past the delivery limits"  # DELIVERY_MAX_ATTEMPTS, DELIVERY_MAX_AGE
    else:
        how_long = f"for {_seconds(failing_for)}"
    return _needs_attention(
        # Within the audit's 200 characters, with the longest field path.
        f"give up: {what} {how_long}; for a manager: check media serving (PUBLIC_MEDIA_BASE_URL)",
        Claim.AttentionReason.IMAGE_FETCH,
        fields | {"last_error_field": error.field_path},
    )


def decide_to_retry(
    claim: Claim,
    *,
    why: str,
    retry_after: float | None,
    outcome_unknown: bool,
    fields: dict,
    prefix: str = "",
) -> Decision:
    """Try again later, or give up past DELIVERY_MAX_ATTEMPTS / DELIVERY_MAX_AGE."""
    now = timezone.now()
    may_be_filed = outcome_unknown or claim.unknown_outcome_since is not None
    looks_up = may_be_filed and settings.DELIVERY_RECONCILE
    delay = retry_delay(
        attempts=claim.delivery_attempts,
        retry_after=retry_after,
        floor=settings.DELIVERY_LOOKUP_DELAY if outcome_unknown and looks_up else None,
    )
    retry_at = now + timedelta(seconds=delay)
    queued_at = claim.queued_at or claim.created_at
    too_old = (retry_at - queued_at).total_seconds() > settings.DELIVERY_MAX_AGE
    if claim.delivery_attempts >= settings.DELIVERY_MAX_ATTEMPTS or too_old:
        limit = "past the maximum age" if too_old else f"after {claim.delivery_attempts} attempts"
        return _needs_attention(
            f"{prefix}give up {limit}: {why}", Claim.AttentionReason.GAVE_UP, fields
        )
    text = f"{prefix}retry in {_seconds(delay)}"
    if retry_after is not None:
        text += " (Retry-After)"
    if outcome_unknown:
        text += (
            ", outcome unknown: look it up first"
            if looks_up
            else ", outcome unknown: same key, not looked up"
        )
    status = Claim.Status.OUTCOME_UNKNOWN if looks_up else Claim.Status.QUEUED
    return Decision(
        Result.QUEUED,
        text,
        fields | {"status": status, "next_attempt_at": retry_at},
    )


def decide_after_lookup_failure(claim: Claim, error: OrderProtectionError) -> Decision:
    """The lookup before a re-send failed: nothing is sent; look again later, or stop."""
    fields = {"last_error": f"Could not look the claim up at OrderProtection: {error.message}"}
    if isinstance(error, ApiMisconfigured):
        return _needs_attention(
            f"lookup failed: {error.exchange.status_code or 'token request'} configuration; "
            "not sent again",
            Claim.AttentionReason.CONFIGURATION,
            fields,
        )
    retry_after = error.retry_after if isinstance(error, ApiUnavailable) else None
    return decide_to_retry(
        claim,
        why=str(error.exchange.status_code or "lookup failed"),
        retry_after=retry_after,
        outcome_unknown=False,
        fields=fields,
        prefix="lookup failed, not sent again; ",
    )


def decide_ambiguous(numbers: list[str]) -> Decision:
    listed = ", ".join(numbers)
    return _needs_attention(
        f"several claims at OrderProtection could be this one ({listed}); not sent again",
        Claim.AttentionReason.UNRESOLVED,
        {
            "last_error": f"OrderProtection has several claims that could be this one: {listed}. "
            "It was not sent again. Check them at OrderProtection."
        },
    )


def filed_fields(*, claim_number: str, status_code: int | None, body_text: str) -> dict:
    now = timezone.now()
    return {
        "status": Claim.Status.FILED,
        "attention_reason": "",
        "claim_number": claim_number,
        "filed_at": now,
        "response_status": status_code,
        "response_body": response_json(body_text),
        "last_error": "",
        "last_error_field": "",
        "next_attempt_at": None,
        "sending_started_at": None,
        "state_next_check_at": now + timedelta(seconds=settings.CLAIM_STATE_POLL_FIRST),
        "updated_at": now,
    }


def _needs_attention(text: str, reason: str, fields: dict) -> Decision:
    rejected = reason == Claim.AttentionReason.REJECTED
    return Decision(
        Result.REJECTED if rejected else Result.NEEDS_ATTENTION,
        text,
        fields | {"status": Claim.Status.NEEDS_ATTENTION, "attention_reason": reason},
    )


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"
