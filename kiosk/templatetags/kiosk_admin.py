from django import template
from django.db.models import Count, Min
from django.urls import reverse
from django.utils import timezone

from kiosk.models import Claim

register = template.Library()


@register.inclusion_tag("admin/kiosk/undelivered_summary.html", takes_context=True)
def undelivered_summary(context) -> dict:
    """How many claims are not filed yet, by status, for the admin index."""
    user = context["request"].user
    if not user.has_perm("kiosk.view_claim"):
        return {"visible": False}
    counts = dict(
        Claim.objects.undelivered()
        .values_list("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    oldest = Claim.objects.undelivered().aggregate(oldest=Min("queued_at"))["oldest"]
    changelist = reverse("admin:kiosk_claim_changelist")
    rows = [
        (status.label, counts.get(status, 0), f"{changelist}?status__exact={status.value}")
        for status in (Claim.Status.NEEDS_ATTENTION, Claim.Status.QUEUED, Claim.Status.SUBMITTING)
    ]
    return {
        "visible": True,
        "total": sum(counts.values()),
        "rows": rows,
        "oldest": oldest,
        "now": timezone.now(),
        "needs_attention": counts.get(Claim.Status.NEEDS_ATTENTION, 0),
    }
