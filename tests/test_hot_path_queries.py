"""The queries of each request a tablet makes to file a claim, counted and held there.

A shared store tablet, signed in by a manager and unlocked by the associate's PIN,
files a whole claim as kiosk.js and photos.js send it: the start screen, a new claim,
each step's page, its background save and its Next, two photos, the review, Submit
with the signature, and the result. Each request's count is held at what it needs, so
that a query coming back (a second read of the same row, a per-request read that could
come with another) fails here. Under pytest-django each transaction shows as a
SAVEPOINT and a RELEASE; in production these are BEGIN and COMMIT.

The counts below, per request: 1 the tablet (with its store), 1 the session, 1 the
associate (with their language), 2 the claim (with its store) and its photos, and 3 the
session's save (the idle lock's clock); then what the request itself does.
"""

import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kiosk.models import Claim, Tablet
from kiosk.services.tablets import pin_set
from tests.images import uploaded_image
from tests.test_views import VALID_STEPS, step_url

PIN = "4821"
AUTOMATIC = {"HTTP_X_KIOSK_AUTOMATIC": "1"}
NEXT = {"nav": "next"}

# Queries of each request, as the tablet files one claim.
EXPECTED = {
    "start screen": 8,  # + its stores, its open drafts
    # + its stores, the associate's membership; in a transaction, the associate locked and
    # their open drafts counted (DRAFTS_OPEN_MAX_PER_ASSOCIATE), the claim's insert
    "new claim": 13,
    "customer page": 8,
    "customer background save": 9,  # + the claim's order, locked; its update
    "customer Next": 13,  # + the save id, looked up then inserted; the claim's update
    "item page": 8,
    "catalog search": 5,  # as the item is typed: the claim without its photos; the search
    "warranty coverage": 4,  # as the date is typed: the claim without its photos
    # + the claim without its photos; the id; the limits (count and bytes), then locked
    "item photo": 14,
    "receipt photo": 14,
    "item Next": 23,  # three steps on the page: item, issue, warranty
    "address page": 8,
    "address Next": 13,
    "review page": 8,
    "result page": 8,
}


@pytest.fixture
def tablet_client(client, manager, associate, store):
    """A tablet the manager signed in to the store, unlocked by the associate's PIN."""
    pin_set(user=associate, pin=PIN, by=manager)
    client.force_login(manager)
    client.post(reverse("kiosk:tablet-setup"), {"store": store.pk, "name": "Counter 1"})
    response = client.post(reverse("kiosk:unlock-pin", args=[associate.pk]), {"pin": PIN})
    assert response.status_code == 302 and response.url == reverse("kiosk:home")
    # Seen just now: the tablet's once-a-minute "last seen" write stays out of the counts.
    Tablet.objects.update(last_seen_at=timezone.now() + timedelta(days=1))
    return client


class Tablet_:
    """Sends what the tablet's scripts send with each save: its order and its id."""

    def __init__(self):
        self.sequence = 0

    def save_fields(self) -> dict[str, str]:
        self.sequence += 1
        return {
            "page_rendered_at": str(time.time_ns() // 1_000_000),
            "input_sequence": str(self.sequence),
            "request_id": str(uuid.uuid4()),
        }


def photo(kind: str, color: str) -> dict:
    return {"kind": kind, "photo": uploaded_image(color=color), "photo_id": str(uuid.uuid4())}


def test_each_request_of_a_claim_makes_only_the_queries_it_needs(
    tablet_client, store, django_assert_num_queries, api_to_sandbox, media_server
):
    client, tablet = tablet_client, Tablet_()
    counted = {}

    def send(name, method, url, data=None, **headers):
        with django_assert_num_queries(EXPECTED[name]) as captured:
            response = getattr(client, method)(url, data or {}, **headers)
        counted[name] = len(captured)
        assert response.status_code < 400, (name, response.status_code)
        return response

    send("start screen", "get", reverse("kiosk:home"))
    send("new claim", "post", reverse("kiosk:claim-new"), {"store": store.pk})
    claim = Claim.objects.get()
    customer, item = step_url(claim, "customer"), step_url(claim, "item")
    send("customer page", "get", customer)
    background = VALID_STEPS["customer"] | tablet.save_fields() | {"nav": "autosave"}
    send("customer background save", "post", customer, background, **AUTOMATIC)
    send("customer Next", "post", customer, VALID_STEPS["customer"] | tablet.save_fields() | NEXT)
    send("item page", "get", item)
    search = reverse("kiosk:catalog-search", args=[claim.reference])
    send("catalog search", "get", search, {"q": "espresso"}, **AUTOMATIC)
    typed = {"date_of_purchase": VALID_STEPS["warranty"]["date_of_purchase"]} | {
        "warranty_period": "P2Y"
    }
    coverage = reverse("kiosk:claim-coverage", args=[claim.reference])
    send("warranty coverage", "get", coverage, typed, **AUTOMATIC)
    upload = reverse("kiosk:photo-upload", args=[claim.reference])
    send("item photo", "post", upload, photo("item", "navy"), **AUTOMATIC)
    send("receipt photo", "post", upload, photo("receipt", "white"), **AUTOMATIC)
    item_page = VALID_STEPS["item"] | VALID_STEPS["issue"] | VALID_STEPS["warranty"]
    send("item Next", "post", item, item_page | tablet.save_fields() | NEXT)
    send("address page", "get", step_url(claim, "address"))
    address = VALID_STEPS["address"] | tablet.save_fields() | NEXT
    send("address Next", "post", step_url(claim, "address"), address)
    send("review page", "get", step_url(claim, "review"))
    submitted = client.post(
        reverse("kiosk:claim-submit", args=[claim.reference]),
        VALID_STEPS["signature"] | {"request_id": str(uuid.uuid4())},
    )
    assert submitted.url == reverse("kiosk:claim-result", args=[claim.reference])
    send("result page", "get", submitted.url)

    assert counted == EXPECTED
    claim.refresh_from_db()
    assert claim.status == Claim.Status.FILED


def rows_read(captured: CaptureQueriesContext, table: str) -> int:
    """How many queries read rows of `table` (not counting existence checks)."""
    return sum(
        1 for query in captured.captured_queries if query["sql"].startswith(f'SELECT "{table}".')
    )


def test_submit_reads_the_claim_once_before_its_lock_and_once_under_it(
    tablet_client, store, associate, make_complete_claim, api_to_sandbox, media_server
):
    """Submit stores the signature, then claim_submit reloads the claim under its lock:
    the view reads it once, for the associate's access, not again after the signature.
    (What the delivery does after is the delivery's: only the claim's reads count here.)"""
    claim = make_complete_claim()
    Claim.objects.filter(pk=claim.pk).update(
        completed_steps=[s for s in claim.completed_steps if s != "signature"]
    )

    with CaptureQueriesContext(connection) as captured:
        tablet_client.post(
            reverse("kiosk:claim-submit", args=[claim.reference]),
            VALID_STEPS["signature"] | {"request_id": str(uuid.uuid4())},
        )

    claim.refresh_from_db()
    assert claim.status == Claim.Status.FILED
    assert rows_read(captured, "kiosk_claim") == 2
    # Its photos: with the claim, when the signature is replaced, and under the lock.
    assert rows_read(captured, "kiosk_claimattachment") == 3
