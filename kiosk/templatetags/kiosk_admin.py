from django import template
from django.urls import reverse
from django.utils import timezone

from kiosk.models import Claim
from kiosk.selectors.scoping import claims_visible_to
from kiosk.services.health import delivery_backlog

register = template.Library()


@register.inclusion_tag("admin/kiosk/undelivered_summary.html", takes_context=True)
def undelivered_summary(context) -> dict:
    """How many claims are not filed yet, by status, for the admin index."""
    user = context["request"].user
    if not user.has_perm("kiosk.view_claim"):
        return {"visible": False}
    backlog = delivery_backlog(claims=claims_visible_to(user))
    changelist = reverse("admin:kiosk_claim_changelist")
    rows = [
        (status.label, backlog.count(status), f"{changelist}?status__exact={status.value}")
        for status in (
            Claim.Status.NEEDS_ATTENTION,
            Claim.Status.OUTCOME_UNKNOWN,
            Claim.Status.QUEUED,
            Claim.Status.SENDING,
        )
    ]
    return {
        "visible": True,
        "total": backlog.total,
        "rows": rows,
        "oldest": backlog.oldest_undelivered,
        "now": timezone.now(),
        "needs_attention": backlog.count(Claim.Status.NEEDS_ATTENTION),
        "dashboard": reverse("admin:kiosk_claim_dashboard"),
    }
