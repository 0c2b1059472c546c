"""Photo reuse: the same receipt or item photo on another claim, copied or alike."""

from django.db.models import QuerySet, Value

from kiosk.models import Claim, ClaimAttachment
from kiosk.risk.bands import near_hash_candidates
from kiosk.risk.distance import HammingDistance
from kiosk.risk.findings import Finding


def photo_findings(claim: Claim) -> list[Finding]:
    return []


def photos_alike(
    *, perceptual_hash: int, kinds: list[str], max_distance: int, exclude_claim_pk: int | None
) -> QuerySet[ClaimAttachment]:
    """Current receipt or item photos of submitted claims within `max_distance` bits of this
    hash, nearest first, annotated with `distance`."""
    stored = ClaimAttachment.objects.current().filter(
        kind__in=kinds, perceptual_hash__isnull=False, claim__submitted_at__isnull=False
    )
    candidates = near_hash_candidates(
        stored, perceptual_hash=perceptual_hash, max_distance=max_distance
    )
    return (
        candidates.exclude(claim_id=exclude_claim_pk)
        .annotate(distance=HammingDistance("perceptual_hash", Value(perceptual_hash)))
        .filter(distance__lte=max_distance)
        .order_by("distance", "pk")
    )
