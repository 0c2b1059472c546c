from enum import StrEnum


class Result(StrEnum):
    """What submitting a claim, or one delivery attempt, came to for the claim."""

    FILED = "filed"
    QUEUED = "queued"  # saved; a later attempt files it
    REJECTED = "rejected"  # back to the associate to correct
    NEEDS_ATTENTION = "needs_attention"  # stopped for a manager
    NOT_DUE = "not_due"  # nothing done: not due yet, or another sender holds it
    PUT_BACK = "put_back"  # due, but DELIVERY_MAX_IN_FLIGHT claims are sending: later
    INCOMPLETE = "incomplete"  # a step is still to complete: not submitted
    NOT_EDITABLE = "not_editable"  # already submitted: not submitted again
