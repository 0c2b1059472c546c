"""Looking a claim up at OrderProtection before it is sent again after an unknown outcome.

OrderProtection documents no idempotency key, so a claim whose last request
may have arrived (a timeout, a dropped connection, a 5xx) is searched for in
GET /v1/claims first: a claim of the same store, created since the first
such attempt began, for the same customer (and, where needed, the same item).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings

from kiosk.models import Claim
from kiosk.orderprotection import (
    ApiUnavailable,
    HttpExchange,
    OrderProtectionClient,
    RemoteClaim,
)


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


def remote_claims(
    *, client: OrderProtectionClient, store_id: str, since: datetime | None, lookup: Lookup
) -> Iterator[RemoteClaim]:
    """Page through GET /v1/claims, newest first, until a claim older than `since`.

    The order of the listing is not documented: paging stops early only when a
    whole page is newest-first and ends before `since`. Raises ApiUnavailable
    when DELIVERY_LOOKUP_MAX_PAGES pages did not reach the end.
    """
    cursor = None
    while lookup.pages < settings.DELIVERY_LOOKUP_MAX_PAGES:
        page = client.list_claims(store_id=store_id, cursor=cursor)
        lookup.pages += 1
        lookup.last_page_body = page.body
        yield from page.claims
        if page.next_cursor is None or (since and _ends_before(page.claims, since)):
            return
        cursor = page.next_cursor
    raise ApiUnavailable(
        f"Looked through {lookup.pages} pages of claims without reaching the attempt's time "
        "(DELIVERY_LOOKUP_MAX_PAGES).",
        exchange=HttpExchange(url=client.claims_url),
    )


def claim_lookup(*, claim: Claim, client: OrderProtectionClient) -> Lookup:
    """Search OrderProtection for this claim, filed by an attempt whose answer was lost.

    Raises OrderProtectionError when the search cannot be completed: the claim
    must then not be sent again.
    """
    since = claim.unknown_outcome_since - timedelta(seconds=settings.DELIVERY_LOOKUP_CLOCK_SKEW)
    sent = SentClaim.of(claim)
    lookup = Lookup(LookupResult.NOT_FOUND)
    candidates = [
        remote
        for remote in remote_claims(
            client=client, store_id=sent.store_id, since=since, lookup=lookup
        )
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


def _ends_before(claims: list[RemoteClaim], since: datetime) -> bool:
    times = [c.created_at for c in claims]
    if not times or any(t is None for t in times):
        return False
    newest_first = all(a >= b for a, b in zip(times, times[1:], strict=False))
    return newest_first and times[-1] < since


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
