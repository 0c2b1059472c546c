"""How a filed claim's state at OrderProtection reads to a person."""

from django import template

from kiosk.followup.claim_state import claim_state_is_known
from kiosk.followup.claim_state import claim_state_label as state_label

register = template.Library()

STATE_COLOURS = {"APPROVED": "success", "RESOLVED": "success", "RESOLVED_BY_BRAND": "success"}
STATE_COLOURS |= {"DENIED": "danger", "DISMISSED": "secondary", "CLOSED": "secondary"}


@register.filter
def claim_state_label(state: str) -> str:
    return state_label(state)


@register.filter
def claim_state_known(state: str) -> bool:
    """Only a documented state is shown to an associate as OrderProtection's decision."""
    return claim_state_is_known(state)


@register.filter
def claim_state_colour(state: str) -> str:
    return STATE_COLOURS.get(state, "info")


@register.filter
def enum_words(value: str) -> str:
    """NOT_COVERED → "Not covered"."""
    return value.replace("_", " ").capitalize()
