"""Photo reuse: the same receipt or item photo on another claim, copied or alike.

Two photos are the same file when their SHA-256 (of the stored, normalised bytes) are
equal, and alike when their perceptual hashes (kiosk.risk.hashes) differ in at most
RISK_PHOTO_DISTANCE bits: the new photo as taken near any of the stored one's hashes (as
taken or a variant: turned, cropped), or any of the new photo's near the stored one as
taken. Both ways, so that which of the two claims came first does not matter.

Receipts printed from one template look alike to pHash, so a lookalike receipt counts only
when the other claim is from the same store with the same purchase date (and the same
price, when both claims have one); an exact copy counts anywhere in the chain.

Each finding's detail: {"kind": "receipt" | "item", "matches": [{"claim": pk,
"distance": bits, "exact": bool}, …] nearest first, at most MATCHES_LISTED, "more": how
many other claims were found beyond those (counted up to MATCHES_FETCHED per photo),
"nearest": the smallest distance}. matched_claim_ids are the listed claims.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import (
    Case,
    Expression,
    IntegerField,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Least
from django.db.models.lookups import LessThanOrEqual

from kiosk.models import Claim, ClaimAttachment, PhotoHash, RiskSignal
from kiosk.risk.bands import near_band_lookups
from kiosk.risk.distance import HammingDistance
from kiosk.risk.findings import Finding

RECEIPT = ClaimAttachment.Kind.RECEIPT
ITEM = ClaimAttachment.Kind.ITEM
# What one signal lists (and what a new match beyond it cannot bring back after a quiet).
MATCHES_LISTED = 20
# Other claims read per photo and query: a stock photo can match thousands.
MATCHES_FETCHED = 100


@dataclass
class _Matches:
    """Other claims a signal found, each with its nearest distance and whether exact."""

    kind: str
    found: dict[int, tuple[int, bool]] = field(default_factory=dict)

    def add(self, claim_pk: int, distance: int, exact: bool) -> None:
        known = self.found.get(claim_pk)
        if known is None or (not exact, distance) < (not known[1], known[0]):
            self.found[claim_pk] = (distance, exact)

    def finding(self, code: str) -> Finding | None:
        if not self.found:
            return None
        ranked = sorted(self.found.items(), key=lambda item: (item[1][0], not item[1][1], item[0]))
        listed = ranked[:MATCHES_LISTED]
        detail = {
            "kind": self.kind,
            "matches": [
                {"claim": pk, "distance": distance, "exact": exact}
                for pk, (distance, exact) in listed
            ],
            "more": len(ranked) - len(listed),
            "nearest": ranked[0][1][0],
        }
        return Finding(code, detail, tuple(pk for pk, _ in listed))


def photo_findings(claim: Claim) -> list[Finding]:
    """receipt_reuse, photo_copy and photo_lookalike against other submitted claims.

    photo_copy: one of the claim's item photos is the same file as another claim's item
    or receipt photo, or one of its receipts is the same file as another claim's item
    photo (a file reused in either role is a copy; the same receipt twice is
    receipt_reuse). photo_lookalike: an item photo alike to another claim's item photo,
    not the same file; a claim already counted as a copy is not counted again.
    """
    photos = list(
        claim.attachments.current()
        .filter(kind__in=[RECEIPT, ITEM])
        .only("pk", "kind", "sha256")
        .prefetch_related(
            Prefetch("hashes", PhotoHash.objects.order_by("variant").only("attachment", "value"))
        )
    )
    if not photos:
        return []
    receipts = _Matches("receipt")
    copies = _Matches("item")
    lookalikes = _Matches("item")

    for mine, theirs, other_pk in _same_files(claim, photos):
        if mine == RECEIPT and theirs == RECEIPT:
            receipts.add(other_pk, 0, exact=True)
        else:
            copies.add(other_pk, 0, exact=True)

    confirmed = _receipt_confirmed(claim)
    for photo in photos:
        hashes = [row.value for row in photo.hashes.all()]  # as taken first
        if not hashes:
            continue
        if photo.kind == RECEIPT:
            if confirmed is None:
                continue
            for other_pk, distance in _nearest_claims(claim, photo, hashes, confirmed):
                receipts.add(other_pk, distance, exact=False)
        else:
            for other_pk, distance in _nearest_claims(claim, photo, hashes, Q()):
                lookalikes.add(other_pk, distance, exact=False)
    for other_pk in copies.found:
        lookalikes.found.pop(other_pk, None)

    findings = [
        receipts.finding(RiskSignal.Code.RECEIPT_REUSE),
        copies.finding(RiskSignal.Code.PHOTO_COPY),
        lookalikes.finding(RiskSignal.Code.PHOTO_LOOKALIKE),
    ]
    return [finding for finding in findings if finding is not None]


def _same_files(claim: Claim, photos: list[ClaimAttachment]) -> list[tuple[str, str, int]]:
    """(my photo's kind, the copy's kind, its claim) for each exact copy on another claim."""
    kinds_by_sha: dict[str, set[str]] = {}
    for photo in photos:
        kinds_by_sha.setdefault(photo.sha256, set()).add(photo.kind)
    rows = (
        ClaimAttachment.objects.current()
        .filter(
            sha256__in=kinds_by_sha,
            kind__in=[RECEIPT, ITEM],
            claim__submitted_at__isnull=False,
        )
        .exclude(claim_id=claim.pk)
        .values_list("sha256", "kind", "claim_id")
        .distinct()
        .order_by("claim_id")[: MATCHES_FETCHED * len(kinds_by_sha)]
    )
    return [
        (mine, theirs, other_pk)
        for sha256, theirs, other_pk in rows
        for mine in sorted(kinds_by_sha[sha256])
    ]


def _receipt_confirmed(claim: Claim) -> Q | None:
    """What makes a lookalike receipt the same receipt; None when the claim cannot say."""
    if claim.date_of_purchase is None:
        return None
    confirmed = Q(claim__store_id=claim.store_id, claim__date_of_purchase=claim.date_of_purchase)
    if claim.item_price is not None:
        confirmed &= Q(claim__item_price__isnull=True) | Q(claim__item_price=claim.item_price)
    return confirmed


def _nearest_claims(
    claim: Claim, photo: ClaimAttachment, hashes: list[int], also: Q
) -> list[tuple[int, int]]:
    """(other claim, nearest distance) for photos of the same kind alike to this one that
    are not the same file (those are found by SHA-256), nearest first."""
    alike, distance = _alike(
        perceptual_hashes=hashes,
        kinds=[photo.kind],
        max_distance=settings.RISK_PHOTO_DISTANCE,
        exclude_claim_pk=claim.pk,
    )
    grouped = (
        alike.filter(also)
        .exclude(sha256=photo.sha256)
        .values("claim_id")
        .annotate(nearest=Min(distance))
        .order_by("nearest", "claim_id")
    )
    return [(row["claim_id"], row["nearest"]) for row in grouped[:MATCHES_FETCHED]]


def photos_alike(
    *,
    perceptual_hashes: Sequence[int],
    kinds: list[str],
    max_distance: int,
    exclude_claim_pk: int | None,
) -> QuerySet[ClaimAttachment]:
    """Current receipt or item photos of submitted claims alike to a photo whose hashes are
    `perceptual_hashes` (as taken first, then its variants, as PhotoHash.Variant orders
    them), nearest first, annotated with `distance`, the smallest of: its hash as taken to
    any of theirs, and any of its hashes to theirs as taken. One query."""
    alike, distance = _alike(
        perceptual_hashes=perceptual_hashes,
        kinds=kinds,
        max_distance=max_distance,
        exclude_claim_pk=exclude_claim_pk,
    )
    return alike.annotate(distance=Min(distance)).order_by("distance", "pk")


def _alike(
    *,
    perceptual_hashes: Sequence[int],
    kinds: list[str],
    max_distance: int,
    exclude_claim_pk: int | None,
) -> tuple[QuerySet[ClaimAttachment], Expression]:
    """The photos of photos_alike joined to their hashes within `max_distance` (one row a
    hash), and the expression of a row's distance, for the caller to take the smallest of.

    The join is driven by the band lookups (each an index scan of PhotoHash): few rows, each
    photo then found by its key. The distance is taken of the rows found, not of all a
    photo's hashes (a correlated subquery a photo, which PostgreSQL prices so high that it
    compiles the query, JIT, for longer than it runs): the same smallest distance, since
    every row within `max_distance` is among the rows found.
    """
    taken, *variants = perceptual_hashes
    distance = _distance(perceptual_hashes)
    near = [LessThanOrEqual(distance, max_distance)]
    lookups = near_band_lookups([taken], max_distance=max_distance, field="hashes__value")
    if lookups is not None:
        # Each lookup one index scan (band, variant): of every variant for the hash as
        # taken, of the as-taken rows alone for the variants.
        as_taken = Q(hashes__variant=PhotoHash.Variant.AS_TAKEN)
        if variants:
            for lookup in near_band_lookups(
                variants, max_distance=max_distance, field="hashes__value"
            ):
                lookups.append(lookup & as_taken)
        near.append(reduce(or_, lookups))
    alike = (
        ClaimAttachment.objects.current()
        # One filter() call: the band lookups and the distance are of the same hash row.
        .filter(*near, kind__in=kinds, claim__submitted_at__isnull=False)
        .exclude(claim_id=exclude_claim_pk)
    )
    return alike, distance


def _distance(perceptual_hashes: Sequence[int]) -> Expression:
    """A hash row's distance to the photo by the rule of photos_alike: an as-taken row's to
    the nearest of the photo's hashes, a variant's to the photo's as taken."""
    taken = HammingDistance("hashes__value", Value(perceptual_hashes[0]))
    if len(perceptual_hashes) == 1:
        return taken
    to_any = Least(*(HammingDistance("hashes__value", Value(value)) for value in perceptual_hashes))
    return Case(
        When(hashes__variant=PhotoHash.Variant.AS_TAKEN, then=to_any),
        default=taken,
        output_field=IntegerField(),
    )
