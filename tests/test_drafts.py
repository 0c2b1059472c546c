"""Saving a step never overwrites what a worker or a manager changed meanwhile."""

import pytest
from django.urls import reverse
from django.utils import timezone

from kiosk.models import Claim
from kiosk.services.drafts import ClaimNotEditable
from kiosk.services.submission import claim_retry_delivery
from kiosk.steps import STEPS_BY_SLUG


@pytest.fixture
def rejected_claim(complete_claim):
    """Rejected for its email: the associate may correct it, a manager may retry it."""
    complete_claim.status = Claim.Status.NEEDS_ATTENTION
    complete_claim.attention_reason = Claim.AttentionReason.REJECTED
    complete_claim.last_error = "customer.email is not deliverable"
    complete_claim.last_error_field = "customer.email"
    complete_claim.request_payload = {"storeId": "store_123"}
    complete_claim.save()
    return complete_claim


def test_a_step_saved_while_a_manager_retries_does_not_undo_the_retry(
    rejected_claim, associate_client
):
    page_open = Claim.objects.get(pk=rejected_claim.pk)  # the associate's stale copy
    assert claim_retry_delivery(claim=rejected_claim, media_base_url="https://media.test")
    queued_payload = Claim.objects.get(pk=rejected_claim.pk).request_payload

    form = STEPS_BY_SLUG["customer"].form_class(
        {
            "ship_first_name": "Nia",
            "ship_last_name": "Ode",
            "customer_email": "new@example.com",
            "customer_phone": "",
        },
        claim=page_open,
    )
    with pytest.raises(ClaimNotEditable):
        STEPS_BY_SLUG["customer"].save(page_open, form, checked=True)

    rejected_claim.refresh_from_db()
    assert rejected_claim.status == Claim.Status.QUEUED
    assert rejected_claim.customer_email == "customer@example.com"
    assert rejected_claim.request_payload == queued_payload


def test_the_associate_is_told_the_claim_was_sent_meanwhile(rejected_claim, associate_client):
    claim_retry_delivery(claim=rejected_claim, media_base_url="https://media.test")

    response = associate_client.post(
        reverse("kiosk:claim-step", args=[rejected_claim.reference, "customer"]),
        {"ship_first_name": "Nia", "ship_last_name": "Ode", "customer_email": "new@example.com"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse(
        "kiosk:claim-result", args=[rejected_claim.reference]
    )
    assert b"sent meanwhile" in response.content


def test_a_step_writes_only_its_own_fields(complete_claim):
    stale = Claim.objects.get(pk=complete_claim.pk)
    # Meanwhile another request (or a manager) changed a field of another step.
    Claim.objects.filter(pk=complete_claim.pk).update(
        item_name="Changed elsewhere", updated_at=timezone.now()
    )

    form = STEPS_BY_SLUG["customer"].form_class(
        {
            "ship_first_name": "Nia",
            "ship_last_name": "Ode",
            "customer_email": "new@example.com",
            "customer_phone": "",
        },
        claim=stale,
    )
    assert STEPS_BY_SLUG["customer"].save(stale, form, checked=True)

    complete_claim.refresh_from_db()
    assert complete_claim.customer_email == "new@example.com"
    assert complete_claim.item_name == "Changed elsewhere"
