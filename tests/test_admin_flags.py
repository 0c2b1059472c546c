"""The desk shows a warranty override and a customer's copy that was not sent."""

import pytest
from django.urls import reverse
from django.utils import timezone

from kiosk.followup.customer_copy import customer_copy_send
from kiosk.followup.tasks import customer_copy_queue
from kiosk.models import Claim
from kiosk.services.coverage import claim_coverage
from tests.factories import ClaimFactory

CHANGELIST = "admin:kiosk_claim_changelist"


class RefusingEmailBackend:
    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise TimeoutError("timed out connecting to smtp.example.com:587")


@pytest.fixture
def claims(settings, store):
    """A filed claim with an override and a failed copy, and a plain one."""
    settings.MAILERS = {"default": {"BACKEND": "tests.test_admin_flags.RefusingEmailBackend"}}
    flagged = ClaimFactory(
        store=store,
        status=Claim.Status.FILED,
        claim_number="SB-1111-1111",
        submitted_at=timezone.now(),
        warranty_override_reason="Manager Sam approved: known fault",
    )
    customer_copy_queue(claim=flagged)
    customer_copy_send(claim_pk=flagged.pk)
    plain = ClaimFactory(
        store=store,
        status=Claim.Status.FILED,
        claim_number="SB-2222-2222",
        submitted_at=timezone.now(),
    )
    return flagged, plain


def test_the_list_flags_the_override_and_the_failed_copy(manager_client, claims):
    response = manager_client.get(reverse(CHANGELIST))

    content = response.content.decode()
    assert "flag-override" in content and "Warranty override" in content
    assert "title='Manager Sam approved: known fault'" in content
    assert "flag-copy-failed" in content
    assert "TimeoutError: timed out connecting to smtp.example.com:587" in content
    assert content.count("Warranty override</span>") == 1


@pytest.mark.parametrize(
    "query, shown",
    [
        ({"warranty_override": "yes"}, ["SB-1111-1111"]),
        ({"warranty_override": "no"}, ["SB-2222-2222"]),
        ({"customer_copy": "failed"}, ["SB-1111-1111"]),
        ({"customer_copy": "none"}, ["SB-2222-2222"]),
    ],
)
def test_the_list_filters_by_override_and_copy(manager_client, claims, query, shown):
    response = manager_client.get(reverse(CHANGELIST), query)

    listed = [claim.claim_number for claim in response.context["cl"].result_list]
    assert listed == shown


def test_the_claim_page_shows_the_reason_and_why_the_copy_was_not_sent(manager_client, claims):
    flagged, _ = claims

    response = manager_client.get(reverse("admin:kiosk_claim_change", args=[flagged.pk]))

    content = response.content.decode()
    assert "Manager Sam approved: known fault" in content
    assert "The customer&#x27;s copy" in content
    assert "Failed" in content
    assert "TimeoutError: timed out connecting to smtp.example.com:587" in content
    assert "Coverage today" in content
    assert claim_coverage(claim=flagged).label in content
    flagged.refresh_from_db()
    assert flagged.status == Claim.Status.FILED


def test_a_manager_sends_a_failed_copy_again(settings, manager_client, claims):
    flagged, plain = claims

    response = manager_client.post(
        reverse(CHANGELIST),
        {"action": "resend_customer_copy", "_selected_action": [flagged.pk, plain.pk]},
        follow=True,
    )

    assert "The customer&#x27;s copy is queued again: " + flagged.reference in (
        response.content.decode()
    )
    flagged.refresh_from_db()
    plain.refresh_from_db()
    assert flagged.customer_copy_status == Claim.CustomerCopyStatus.QUEUED
    assert plain.customer_copy_status == ""
