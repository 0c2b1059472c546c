"""A filed claim's state at OrderProtection (NEW, OPEN, APPROVED, DENIED, …) and its timeline."""

import enum
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiosk.models import Claim, ClaimStateChange, WebhookEvent

logger = logging.getLogger(__name__)

# What a claim that was just filed is, until OrderProtection says otherwise.
NEW = "NEW"
STATE_LABELS = {
    "NEW": _("Filed, not reviewed yet"),
    "OPEN": _("Open"),
    "COMMUNICATING": _("In discussion"),
    "WAITING_FOR_CUSTOMER": _("Waiting for the customer"),
    "WAITING_FOR_BRAND": _("Waiting for the store"),
    "WAITING_FOR_OP": _("Waiting for OrderProtection"),
    "APPROVED": _("Approved"),
    "DENIED": _("Denied"),
    "RESOLVED": _("Resolved"),
    "RESOLVED_BY_BRAND": _("Resolved by the store"),
    "CLOSED": _("Closed"),
    "ARCHIVED": _("Archived"),
    "DISMISSED": _("Dismissed"),
    "TEMPORARILY_DISMISSED": _("Dismissed for now"),
}


class StateOutcome(enum.StrEnum):
    """What recording a state OrderProtection sent did to the claim."""

    APPLIED = "recorded"
    ALREADY_KNOWN = "already known"
    LATE = "arrived late; kept, not applied"
    UNKNOWN_STATE = "is not a known state; kept, not applied"
    OTHER_STORE = "names another store; kept, not applied"


FLAG_OF_OUTCOME = {
    StateOutcome.LATE: ClaimStateChange.Flag.LATE,
    StateOutcome.UNKNOWN_STATE: ClaimStateChange.Flag.UNKNOWN_STATE,
    StateOutcome.OTHER_STORE: ClaimStateChange.Flag.OTHER_STORE,
}


def claim_state_label(state: str) -> str:
    return STATE_LABELS.get(state, state.replace("_", " ").capitalize())


def claim_state_is_known(state: str) -> bool:
    return state in {known.strip().upper() for known in settings.CLAIM_KNOWN_STATES}


def claim_state_is_final(state: str) -> bool:
    return state in settings.CLAIM_FINAL_STATES


def claim_state_record(
    *,
    claim: Claim,
    state: str,
    source: str,
    as_of: datetime | None = None,
    received_at: datetime | None = None,
    store_id: str | None = None,
    resolution: str = "",
    reason: str = "",
    event: WebhookEvent | None = None,
) -> StateOutcome:
    """Record a state OrderProtection gave a filed claim, and say what that did.

    `as_of` is the time the state held at OrderProtection (an event's created_at, a
    listed claim's updatedAt); without one, or one more than CLAIM_STATE_CLOCK_SKEW
    ahead of `received_at` (default now), it is `received_at`. The state is applied only
    if `as_of` is later than the news the claim's state rests on. A late state, a state not in
    CLAIM_KNOWN_STATES, or one whose `store_id` is not the claim's store's, is added to
    the timeline with its flag and changes nothing else. A "NEW" never replaces a state.
    An event already recorded for this claim is not recorded again.
    """
    now = timezone.now()
    received_at = received_at or now
    if as_of is None or as_of > received_at + timedelta(seconds=settings.CLAIM_STATE_CLOCK_SKEW):
        as_of = received_at
    received = state.strip()[:64]
    state = received.upper()
    with transaction.atomic():
        current = Claim.objects.select_for_update().select_related("store").get(pk=claim.pk)
        if event is not None and current.state_changes.filter(event=event).exists():
            return StateOutcome.ALREADY_KNOWN
        outcome = _state_outcome(current, state, as_of, store_id, resolution, reason)
        if outcome is StateOutcome.ALREADY_KNOWN:
            if current.claim_state_as_of is None or as_of > current.claim_state_as_of:
                current.claim_state_as_of = as_of
                current.save(update_fields=["claim_state_as_of", "updated_at"])
            return outcome
        flag = FLAG_OF_OUTCOME.get(outcome, ClaimStateChange.Flag.APPLIED)
        kept = received if flag == ClaimStateChange.Flag.UNKNOWN_STATE else state
        if flag and _repeats_last_change(current, kept, flag, source):
            return outcome
        ClaimStateChange.objects.create(
            claim=current,
            state=kept,
            resolution=resolution[:64],
            reason=reason[:64],
            source=source,
            event=event,
            as_of=as_of,
            flag=flag,
            store_id=(store_id or "")[:64],
        )
        if outcome is StateOutcome.APPLIED:
            _apply(current, state, as_of, resolution, reason, now)
    if outcome is StateOutcome.APPLIED:
        logger.info("Claim %s is now %s at OrderProtection (%s)", claim.reference, state, source)
    else:
        logger.warning("Claim %s: state %r %s (%s)", claim.reference, received, outcome, source)
    return outcome


def _state_outcome(
    current: Claim,
    state: str,
    as_of: datetime,
    store_id: str | None,
    resolution: str,
    reason: str,
) -> StateOutcome:
    if store_id and store_id != current.store.source_store_id:
        return StateOutcome.OTHER_STORE
    if not claim_state_is_known(state):
        return StateOutcome.UNKNOWN_STATE
    if (
        current.claim_state == state
        and current.op_resolution == (resolution[:64] or current.op_resolution)
        and current.op_denial_reason == (reason[:64] or current.op_denial_reason)
    ):
        return StateOutcome.ALREADY_KNOWN
    # Claims recorded before event times were kept are ordered by when the state came.
    last = current.claim_state_as_of or current.claim_state_at
    if (last is not None and as_of <= last) or (state == NEW and current.claim_state):
        return StateOutcome.LATE
    return StateOutcome.APPLIED


def _repeats_last_change(claim: Claim, state: str, flag: str, source: str) -> bool:
    """Polling asks again and again: one stale or unknown answer is kept once, not per run."""
    last = claim.state_changes.order_by("-recorded_at", "-pk").first()
    return last is not None and (last.state, last.flag, last.source) == (state, flag, source)


def _apply(
    claim: Claim, state: str, as_of: datetime, resolution: str, reason: str, now: datetime
) -> None:
    claim.claim_state = state
    claim.claim_state_at = now
    claim.claim_state_as_of = as_of
    claim.op_resolution = resolution[:64] or claim.op_resolution
    claim.op_denial_reason = reason[:64] or claim.op_denial_reason
    claim.state_check_interval = 0
    claim.state_next_check_at = (
        None
        if claim_state_is_final(state)
        else now + timedelta(seconds=settings.CLAIM_STATE_POLL_FIRST)
    )
    claim.save(
        update_fields=[
            "claim_state",
            "claim_state_at",
            "claim_state_as_of",
            "op_resolution",
            "op_denial_reason",
            "state_check_interval",
            "state_next_check_at",
            "updated_at",
        ]
    )
