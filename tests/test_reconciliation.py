"""Looking a claim up at OrderProtection after an unknown outcome.

These cases need listing shapes the sandbox does not produce (an oldest-first
order, missing fields, foreign stores), so the API is faked with `responses`;
tests/test_delivery.py covers the same path against the sandbox over HTTP.
"""

import datetime
import json

import pytest
import responses
from django.utils import timezone

from kiosk.delivery.reconciliation import LookupResult, claim_lookup
from kiosk.models import Claim
from kiosk.orderprotection import ApiUnavailable, OrderProtectionClient, StaticToken
from tests.factories import ClaimFactory

API = "https://api.example.test"
SINCE = timezone.now() - datetime.timedelta(minutes=1)


def node(number: str, *, minutes_after: float = 1, **fields) -> dict:
    created = SINCE + datetime.timedelta(minutes=minutes_after)
    return {
        "id": f"c{number.replace('-', '').lower():0>24}",
        "storeId": "store_123",
        "sourceOrderId": number,
        "authorEmail": "customer@example.com",
        "authorName": "Jane Doe",
        "claimDescription": "Leaks water from the base after two weeks.",
        "claimType": "DEFECTIVE_ITEM",
        "claimState": "NEW",
        "createdAt": created.isoformat().replace("+00:00", "Z"),
    } | fields


def page(nodes: list[dict], next_cursor: str | None = None) -> dict:
    return {
        "edges": [{"node": n} for n in nodes],
        "pageInfo": {
            "startCursor": "start",
            "endCursor": next_cursor,
            "hasNextPage": next_cursor is not None,
            "hasPreviousPage": False,
        },
    }


@pytest.fixture
def claim(db):
    claim = ClaimFactory(
        store__source_store_id="store_123",
        status=Claim.Status.OUTCOME_UNKNOWN,
        unknown_outcome_since=SINCE + datetime.timedelta(seconds=30),
        request_payload={
            "storeId": "store_123",
            "customer": {"email": "customer@example.com"},
            "shippingAddress": {"firstName": "Jane", "lastName": "Doe"},
            "item": {"details": "Leaks water from the base after two weeks."},
            "issueType": "DEFECTIVE_ITEM",
        },
    )
    return claim


@pytest.fixture
def client(settings):
    settings.DELIVERY_LOOKUP_CLOCK_SKEW = 60
    return OrderProtectionClient(
        base_url=API,
        credentials=StaticToken("t"),
        connect_timeout=1,
        read_timeout=1,
        list_params=("limit", "after"),
        list_page_size=2,
    )


def listing(*pages: dict) -> None:
    for body in pages:
        responses.add(responses.GET, f"{API}/v1/claims", json=body)


@responses.activate
def test_lookup_finds_the_claim_and_uses_the_configured_parameter_names(claim, client):
    listing(page([node("OP-1111-0001")]))

    lookup = claim_lookup(claim=claim, client=client)

    assert lookup.result == LookupResult.FOUND
    assert lookup.found.claim_number == "OP-1111-0001"
    assert responses.calls[0].request.params == {"limit": "2"}


@responses.activate
def test_lookup_follows_the_cursor_and_stops_at_an_older_claim(claim, client):
    listing(
        page([node("OP-NEWER-1", authorEmail="x@example.com"), node("OP-1111-0001")], "c1"),
        page([node("OP-OLD-1", minutes_after=-10), node("OP-OLD-2", minutes_after=-20)], "c2"),
    )

    lookup = claim_lookup(claim=claim, client=client)

    assert lookup.result == LookupResult.FOUND
    assert lookup.pages == 2
    assert responses.calls[1].request.params == {"limit": "2", "after": "c1"}


@responses.activate
def test_an_oldest_first_listing_is_read_to_its_end(claim, client):
    """The order is not documented: an old claim first must not end the search."""
    listing(
        page([node("OP-OLD-1", minutes_after=-20), node("OP-OLD-2", minutes_after=-10)], "c1"),
        page([node("OP-1111-0001")]),
    )

    lookup = claim_lookup(claim=claim, client=client)

    assert lookup.result == LookupResult.FOUND and lookup.pages == 2


@responses.activate
def test_other_stores_customers_and_earlier_claims_do_not_match(claim, client):
    listing(
        page(
            [
                node("OP-OTHER-STORE", storeId="store_999"),
                node("OP-OTHER-CUSTOMER", authorEmail="someone@example.com"),
                node("OP-TOO-EARLY", minutes_after=-5),
            ]
        )
    )

    assert claim_lookup(claim=claim, client=client).result == LookupResult.NOT_FOUND


@responses.activate
def test_a_claim_number_another_claim_holds_is_not_taken(claim, client):
    ClaimFactory(store=claim.store, status=Claim.Status.FILED, claim_number="OP-1111-0001")
    listing(page([node("OP-1111-0001")]))

    assert claim_lookup(claim=claim, client=client).result == LookupResult.NOT_FOUND


@responses.activate
def test_the_item_tells_two_claims_of_one_customer_apart(claim, client):
    listing(
        page(
            [
                node("OP-KETTLE", claimDescription="Kettle does not heat", claimType="DAMAGED"),
                node("OP-1111-0001"),
            ]
        )
    )

    lookup = claim_lookup(claim=claim, client=client)

    assert lookup.found.claim_number == "OP-1111-0001"


@responses.activate
def test_claims_that_cannot_be_told_apart_are_ambiguous(claim, client):
    listing(page([node("OP-A"), node("OP-B")]))

    lookup = claim_lookup(claim=claim, client=client)

    assert lookup.result == LookupResult.AMBIGUOUS
    assert {c.claim_number for c in lookup.candidates} == {"OP-A", "OP-B"}


@responses.activate
def test_a_customer_without_email_is_matched_by_name_and_description(claim, client):
    del claim.request_payload["customer"]["email"]
    listing(
        page(
            [
                node("OP-OTHER", authorEmail=None, authorName="John Smith"),
                node("OP-1111-0001", authorEmail=None, authorName="  jane   DOE "),
            ]
        )
    )

    assert claim_lookup(claim=claim, client=client).found.claim_number == "OP-1111-0001"


@responses.activate
def test_a_search_that_never_reaches_the_attempt_fails_rather_than_concludes(
    claim, client, settings
):
    settings.DELIVERY_LOOKUP_MAX_PAGES = 2
    for number in range(3):
        listing(page([node(f"OP-X-{number}", authorEmail="x@example.com")], f"c{number}"))

    with pytest.raises(ApiUnavailable, match="DELIVERY_LOOKUP_MAX_PAGES"):
        claim_lookup(claim=claim, client=client)


@responses.activate
def test_an_unreadable_listing_fails_the_lookup(claim, client):
    responses.add(responses.GET, f"{API}/v1/claims", body=json.dumps({"claims": []}))

    with pytest.raises(ApiUnavailable, match="edges"):
        claim_lookup(claim=claim, client=client)
