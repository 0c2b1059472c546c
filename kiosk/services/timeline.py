"""A claim's story for the desk: created, each step of delivery, each state, each action."""

import datetime
from dataclasses import dataclass

from kiosk.models import Claim
from kiosk.services.claim_state import claim_state_label


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    what: str
    detail: str = ""
    who: str = ""


def claim_timeline(*, claim: Claim) -> list[TimelineEntry]:
    """Everything that happened to the claim, oldest first."""
    entries = [
        TimelineEntry(claim.created_at, "Created", f"at {claim.store}", str(claim.created_by))
    ]
    if claim.submitted_at:
        entries.append(TimelineEntry(claim.submitted_at, "Submitted", "", str(claim.created_by)))
    for attempt in claim.attempts.all():
        what = "Looked up at OrderProtection" if attempt.kind == "lookup" else "Sent"
        status = f"HTTP {attempt.status_code}" if attempt.status_code else "no answer"
        detail = f"{attempt.get_sent_from_display()}, {status}: {attempt.decision or '…'}"
        entries.append(
            TimelineEntry(attempt.started_at, f"{what} (attempt {attempt.number})", detail)
        )
    for change in claim.state_changes.all():
        detail = " ".join(filter(None, [change.resolution, change.reason]))
        label = f"OrderProtection: {claim_state_label(change.state)}"
        entries.append(
            TimelineEntry(change.recorded_at, label, f"{detail} ({change.get_source_display()})")
        )
    for action in claim.manager_actions.select_related("user"):
        entries.append(
            TimelineEntry(action.at, action.get_action_display(), action.reason, str(action.user))
        )
    return sorted(entries, key=lambda entry: entry.at)
