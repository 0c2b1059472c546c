"""Paging GET /v1/claims once for many readers: the lookups after an outage, and webhooks.

The docs give the listing no filter (not even by time or store) and no order, so a lookup
pages back from the newest claim until it has seen every claim since its attempt. After
an outage many claims of one store await that lookup at once; paging once for each of
them read the same pages again and again (3,376 pages for 478 claims in a load test).
Now one paging, kept in Django's cache for DELIVERY_LOOKUP_CACHE_TTL seconds, serves
every lookup it is recent and deep enough for; each page read also records
OrderProtection's id of the filed claims it shows, so that their webhooks (which name
only that id) need no lookup of their own.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Min
from django.utils import timezone

from kiosk.models import Claim
from kiosk.orderprotection import ApiUnavailable, HttpExchange, OrderProtectionClient, RemoteClaim


@dataclass
class Listing:
    """What one paging of a store's claims saw, newest first as far as it could tell."""

    started_at: datetime
    claims: list[RemoteClaim] = field(default_factory=list)
    pages: int = 0
    complete: bool = False  # read to the last page
    last_page_body: dict = field(default_factory=dict)

    def covers(self, since: datetime | None) -> bool:
        """Whether every claim created since `since` (None: ever) is in the listing.

        Short of the last page, only when the claims seen so far are newest first (the
        order is not documented) and the oldest of them is older than `since`.
        """
        if self.complete:
            return True
        times = [c.created_at for c in self.claims]
        if since is None or not times or any(t is None for t in times):
            return False
        newest_first = all(a >= b for a, b in zip(times, times[1:], strict=False))
        return newest_first and times[-1] < since


def listing_read(
    *,
    client: OrderProtectionClient,
    store_id: str,
    reach: datetime | None,
    until: Callable[[Listing], bool] | None = None,
) -> Listing:
    """Page GET /v1/claims from the newest until the listing covers `reach`, `until` holds,
    the last page, or DELIVERY_LOOKUP_MAX_PAGES pages. Raises OrderProtectionError."""
    listing = Listing(started_at=timezone.now())
    cursor = None
    while listing.pages < settings.DELIVERY_LOOKUP_MAX_PAGES:
        page = client.list_claims(store_id=store_id, cursor=cursor)
        listing.pages += 1
        listing.claims.extend(page.claims)
        listing.last_page_body = page.body
        listing.complete = page.next_cursor is None
        _remember_ids(page.claims)
        if listing.complete or (reach and listing.covers(reach)) or (until and until(listing)):
            break
        cursor = page.next_cursor
    return listing


def store_listing(
    *,
    client: OrderProtectionClient,
    store_id: str,
    since: datetime,
    fresh_after: datetime,
) -> Listing:
    """Every claim of the store created since `since`, as listed after `fresh_after`.

    A cached paging serves when it began after `fresh_after` and reaches back to `since`.
    Otherwise the store is paged again, back to the earliest time any of its claims
    awaiting a lookup needs (as far as DELIVERY_LOOKUP_MAX_PAGES allows), and cached.
    Raises ApiUnavailable when the pages allowed do not reach `since`.
    """
    key = _cache_key(client, store_id)
    ttl = settings.DELIVERY_LOOKUP_CACHE_TTL
    cached = cache.get(key) if ttl > 0 else None
    if cached is not None and cached.started_at >= fresh_after and cached.covers(since):
        return cached
    reach = min(since, _earliest_awaited(store_id) or since)
    listing = listing_read(client=client, store_id=store_id, reach=reach)
    if not listing.covers(since):
        raise ApiUnavailable(
            f"Looked through {listing.pages} pages of claims without reaching the attempt's "
            "time (DELIVERY_LOOKUP_MAX_PAGES).",
            exchange=HttpExchange(url=client.claims_url),
        )
    if ttl > 0:
        cache.set(key, listing, ttl)
    return listing


def cached_listing(*, client: OrderProtectionClient, store_id: str) -> Listing | None:
    """The store's latest paging still in the cache, whatever its age (None if none)."""
    if settings.DELIVERY_LOOKUP_CACHE_TTL <= 0:
        return None
    return cache.get(_cache_key(client, store_id))


def lookup_since(claim: Claim) -> datetime:
    """How far back a lookup of this claim searches."""
    return claim.unknown_outcome_since - timedelta(seconds=settings.DELIVERY_LOOKUP_CLOCK_SKEW)


def _earliest_awaited(store_id: str) -> datetime | None:
    """The earliest `lookup_since` of the store's claims that will be looked up."""
    earliest = Claim.objects.filter(
        store__source_store_id=store_id,
        status__in=(Claim.Status.OUTCOME_UNKNOWN, Claim.Status.SENDING),
        unknown_outcome_since__isnull=False,
    ).aggregate(earliest=Min("unknown_outcome_since"))["earliest"]
    if earliest is None:
        return None
    return earliest - timedelta(seconds=settings.DELIVERY_LOOKUP_CLOCK_SKEW)


def _remember_ids(remote: list[RemoteClaim]) -> None:
    """Record OrderProtection's id of the filed claims the page shows, by claim number."""
    ids = {c.claim_number: c.id for c in remote if c.claim_number and c.id and len(c.id) <= 64}
    if not ids:
        return
    unknown = Claim.objects.filter(
        status=Claim.Status.FILED, claim_number__in=list(ids), orderprotection_id=""
    ).values_list("pk", "claim_number")
    for pk, number in unknown:
        Claim.objects.filter(pk=pk, orderprotection_id="").update(orderprotection_id=ids[number])


def _cache_key(client: OrderProtectionClient, store_id: str) -> str:
    where = hashlib.sha256(f"{client.claims_url}\n{store_id}".encode()).hexdigest()[:32]
    return f"kiosk:claims-listing:{where}"
