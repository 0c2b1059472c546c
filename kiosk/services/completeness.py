"""Whether a claim has everything it needs before it can be submitted."""

from kiosk.models import Claim
from kiosk.services.coverage import claim_needs_override

# What a claim must have collected before it can be submitted, by the step that collects
# it on the tablet (kiosk.steps): each saved without errors, and still true.
REQUIRED_STEPS = ("customer", "item", "warranty", "address", "issue", "signature")


def claim_step_complete(*, claim: Claim, slug: str) -> bool:
    """Whether a step's input is saved, checked, and still holds (a warranty can expire)."""
    if slug not in claim.completed_steps or slug in claim.pending_input:
        return False
    return not (slug == "warranty" and claim_needs_override(claim=claim))


def claim_incomplete_steps(*, claim: Claim) -> list[str]:
    """The steps still to complete before the claim can be submitted, in order."""
    return [slug for slug in REQUIRED_STEPS if not claim_step_complete(claim=claim, slug=slug)]
