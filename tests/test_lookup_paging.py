"""Lookups page GET /v1/claims no more than they need: one paging serves the lookups of
an outage, and the created webhooks of claims filed together."""

import copy
import json
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kiosk.delivery.queue import claim_queue
from kiosk.delivery.results import Result
from kiosk.delivery.sending import claim_deliver
from kiosk.models import Claim, WebhookEvent
from sandbox import SandboxServer
from tests.factories import ClaimFactory

EXAMPLE = json.loads((Path(__file__).parent / "data" / "offline_claim_example.json").read_text())
SECRET = "whsec-paging"


def queue_claims(store, associate, count: int, *, prefix: str) -> list[Claim]:
    claims = ClaimFactory.create_batch(count, store=store, created_by=associate)
    for number, claim in enumerate(claims):
        payload = copy.deepcopy(EXAMPLE)
        payload["storeId"] = store.source_store_id
        payload["customer"]["email"] = f"{prefix}-{number}@example.com"
        assert claim_queue(claim=claim, payload=payload, claimable=Claim.objects.editable())
    return claims


def listing_calls(sandbox: SandboxServer) -> int:
    return sum(1 for r in sandbox.received if r.method == "GET" and r.path == "/v1/claims")


@pytest.mark.django_db
def test_the_lookups_after_an_outage_share_one_paging(
    store, associate, api_to_own_sandbox, settings
):
    settings.ORDERPROTECTION_LIST_PAGE_SIZE = 10
    # Claims filed before and during the outage, which every lookup pages past.
    for claim in queue_claims(store, associate, 20, prefix="filed"):
        assert claim_deliver(claim_pk=claim.pk) is Result.FILED
    # The outage: 20 claims filed, every answer lost.
    lost = queue_claims(store, associate, 20, prefix="lost")
    api_to_own_sandbox.set_faults(mode="drop", after_filing=True)
    for claim in lost:
        assert claim_deliver(claim_pk=claim.pk) is Result.QUEUED
    api_to_own_sandbox.set_faults(mode="none")
    Claim.objects.filter(pk__in=[c.pk for c in lost]).update(next_attempt_at=timezone.now())

    for claim in lost:
        assert claim_deliver(claim_pk=claim.pk) is Result.FILED

    # 40 claims, 10 a page: one paging is 4 or 5 pages. Each lookup paging on its own
    # read 80 or more.
    pages = listing_calls(api_to_own_sandbox)
    assert pages <= 5, f"{pages} pages read for 20 lookups"
    assert len(api_to_own_sandbox.claims) == 40, "a claim was filed twice"
    for claim in lost:
        claim.refresh_from_db()
        assert api_to_own_sandbox.claims[claim.claim_number]["customer"] == {
            **EXAMPLE["customer"],
            "email": claim.request_payload["customer"]["email"],
        }
        assert list(claim.attempts.values_list("kind", "outcome")) == [
            ("send", "unknown"),
            ("lookup", "found"),
        ]


@pytest.mark.django_db(transaction=True)
def test_created_webhooks_of_claims_filed_together_cost_one_listing(
    store, associate, api_to_own_sandbox, settings, live_server
):
    settings.ORDERPROTECTION_WEBHOOK_SECRET = SECRET
    # The app webhooks' spelling names only OrderProtection's id and the store.
    api_to_own_sandbox.set_webhook(
        url=live_server.url + reverse("orderprotection-webhook"), secret=SECRET, style="app"
    )
    claims = queue_claims(store, associate, 10, prefix="webhook")
    for claim in claims:
        assert claim_deliver(claim_pk=claim.pk) is Result.FILED
    assert api_to_own_sandbox.wait_for_webhooks(timeout=30)
    assert WebhookEvent.objects.count() == 10

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert listing_calls(api_to_own_sandbox) == 1
    assert not WebhookEvent.objects.filter(processed_at__isnull=True).exists()
    listed = requests.get(
        api_to_own_sandbox.url + "/v1/claims",
        params={"size": 50},
        headers={"Authorization": "Bearer sandbox-token"},
        timeout=10,
    ).json()
    id_of = {edge["node"]["sourceOrderId"]: edge["node"]["id"] for edge in listed["edges"]}
    for claim in claims:
        claim.refresh_from_db()
        assert claim.orderprotection_id == id_of[claim.claim_number]
        assert claim.claim_state == "NEW"
