"""A claim's story for the desk: created, each step of delivery, each state, each action,
each decision on its risk."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from kiosk.followup.claim_state import claim_state_label
from kiosk.models import Claim, ClaimStateChange


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    what: str
    detail: str = ""
    who: str = ""


def claim_timeline(*, claim: Claim) -> list[TimelineEntry]:
    """Everything that happened to the claim, oldest first."""
    entries = [
        TimelineEntry(
            claim.created_at,
            _("Created"),
            _("at %(store)s") % {"store": claim.store},
            str(claim.created_by),
        )
    ]
    if claim.submitted_at:
        entries.append(TimelineEntry(claim.submitted_at, _("Submitted"), "", str(claim.created_by)))
    for attempt in claim.attempts.all():
        if attempt.kind == "lookup":
            what = _("Looked up at OrderProtection (attempt %(number)d)")
        else:
            what = _("Sent (attempt %(number)d)")
        status = f"HTTP {attempt.status_code}" if attempt.status_code else _("no answer")
        detail = f"{attempt.get_sent_from_display()}, {status}: {attempt.decision or '…'}"
        entries.append(TimelineEntry(attempt.started_at, what % {"number": attempt.number}, detail))
    for change in claim.state_changes.all():
        detail = " ".join(filter(None, [change.resolution, change.reason]))
        entries.append(
            TimelineEntry(
                change.recorded_at,
                _state_change_label(change),
                f"{detail} ({change.get_source_display()})".lstrip(),
            )
        )
    for action in claim.manager_actions.select_related("user"):
        entries.append(
            TimelineEntry(action.at, action.get_action_display(), action.reason, str(action.user))
        )
    for decision in claim.risk_decisions.select_related("decided_by"):
        what = _("Risk: “%(verdict)s”") % {"verdict": decision.get_verdict_display()}
        entries.append(
            TimelineEntry(decision.decided_at, what, decision.reason, str(decision.decided_by))
        )
    return sorted(entries, key=lambda entry: entry.at)


def _state_change_label(change: ClaimStateChange) -> str:
    """A state kept but not applied says so, and never reads as OrderProtection's decision."""
    Flag = ClaimStateChange.Flag
    if change.flag == Flag.UNKNOWN_STATE:
        return _("OrderProtection: unknown state %(state)s received, not applied") % {
            "state": repr(change.state)
        }
    state = claim_state_label(change.state)
    if change.flag == Flag.OTHER_STORE:
        return _(
            "OrderProtection: %(state)s for another store (%(store)s) received, not applied"
        ) % {"state": state, "store": change.store_id}
    if change.flag == Flag.LATE:
        if change.as_of:
            return _("OrderProtection: %(state)s (as of %(as_of)s) arrived late, not applied") % {
                "state": state,
                "as_of": f"{change.as_of:%Y-%m-%d %H:%M:%S}",
            }
        return _("OrderProtection: %(state)s arrived late, not applied") % {"state": state}
    return _("OrderProtection: %(state)s") % {"state": state}
