"""Looking a claim up at OrderProtection before it is sent again after an unknown outcome.

OrderProtection documents no idempotency key, so a claim whose last request
may have arrived (a timeout, a dropped connection, a 5xx) is searched for in
GET /v1/claims first: a claim of the same store, created since the first
such attempt began, for the same customer (and, where needed, the same item).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings

from kiosk.delivery.listing import lookup_since, store_listing
from kiosk.models import Claim, DeliveryAttempt
from kiosk.orderprotection import OrderProtectionClient, RemoteClaim


class LookupResult(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"


@dataclass
class Lookup:
    result: LookupResult
    found: RemoteClaim | None = None
    candidates: list[RemoteClaim] = field(default_factory=list)
    pages: int = 0
    last_page_body: dict = field(default_factory=dict)


def claim_lookup(*, claim: Claim, client: OrderProtectionClient) -> Lookup:
    """Search OrderProtection for this claim, filed by an attempt whose answer was lost.

    The listing may be one another lookup paged (kiosk.delivery.listing): it serves
    only if it was read after this claim's last send could have been recorded.
    Raises OrderProtectionError when the search cannot be completed: the claim
    must then not be sent again.
    """
    since = lookup_since(claim)
    sent = SentClaim.of(claim)
    listing = store_listing(
        client=client,
        store_id=sent.store_id,
        since=since,
        fresh_after=_recorded_by(claim, client),
    )
    lookup = Lookup(
        LookupResult.NOT_FOUND, pages=listing.pages, last_page_body=listing.last_page_body
    )
    candidates = [
        remote
        for remote in listing.claims
        if _same_store_and_time(remote, sent.store_id, since) and _same_customer(remote, sent)
    ]
    taken = set(
        Claim.objects.filter(
            claim_number__in=[c.claim_number for c in candidates if c.claim_number]
        )
        .exclude(pk=claim.pk)
        .values_list("claim_number", flat=True)
    )
    candidates = [c for c in candidates if c.claim_number and c.claim_number not in taken]
    if len(candidates) > 1:
        candidates = [c for c in candidates if _same_item(c, sent)] or candidates
    lookup.candidates = candidates
    if len(candidates) == 1:
        lookup.result, lookup.found = LookupResult.FOUND, candidates[0]
    elif candidates:
        lookup.result = LookupResult.AMBIGUOUS
    return lookup


def _recorded_by(claim: Claim, client: OrderProtectionClient) -> datetime:
    """When whatever the claim's last send filed is surely listed: the end of that send
    (or the longest a call may take, when it has no end recorded) + DELIVERY_LOOKUP_DELAY."""
    last_send = (
        claim.attempts.filter(kind=DeliveryAttempt.Kind.SEND)
        .order_by("-number")
        .values_list("started_at", "duration_ms")
        .first()
    )
    started, duration_ms = last_send or (claim.unknown_outcome_since, None)
    took = client.longest_call if duration_ms is None else duration_ms / 1000
    return started + timedelta(seconds=took + settings.DELIVERY_LOOKUP_DELAY)


def _same_store_and_time(remote: RemoteClaim, store_id: str, since: datetime) -> bool:
    if remote.store_id is not None and remote.store_id != store_id:
        return False
    return remote.created_at is None or remote.created_at >= since


@dataclass(frozen=True)
class SentClaim:
    """What OrderProtection was sent, and so may know the claim by."""

    store_id: str
    email: str
    name: str
    details: str
    issue_type: str

    @classmethod
    def of(cls, claim: Claim) -> "SentClaim":
        body = claim.request_payload or {}
        address = body.get("shippingAddress") or {}
        return cls(
            store_id=str(body.get("storeId") or claim.store.source_store_id),
            email=str((body.get("customer") or {}).get("email") or ""),
            name=f"{address.get('firstName', '')} {address.get('lastName', '')}",
            details=str((body.get("item") or {}).get("details") or ""),
            issue_type=str(body.get("issueType") or ""),
        )


def _same_customer(remote: RemoteClaim, sent: SentClaim) -> bool:
    """The author email identifies the customer; without one, the name and the description."""
    if sent.email:
        return _folded(remote.author_email) == _folded(sent.email)
    if remote.author_name is None or _folded(remote.author_name) != _folded(sent.name):
        return False
    return remote.description is None or _folded(remote.description) == _folded(sent.details)


def _same_item(remote: RemoteClaim, sent: SentClaim) -> bool:
    if remote.description is not None and _folded(remote.description) != _folded(sent.details):
        return False
    return remote.claim_type is None or remote.claim_type == sent.issue_type


def _folded(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()
