"""Filters for the desk's templates."""

from django import template

from kiosk.display import local_time
from kiosk.followup.claim_state import claim_state_label

register = template.Library()


@register.filter
def desk_time(value, zone: str) -> str:
    """A moment in the store's zone, in the desk's one format: "Dec 6, 2026, 16:48:39 EST"."""
    return local_time(value, zone)


@register.filter
def claim_state_words(state: str) -> str:
    """NEW -> "Filed, not reviewed yet"."""
    return claim_state_label(state)
