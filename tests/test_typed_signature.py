"""The typed signature, the review's missing-signature error, and where error links lead."""

import io
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from PIL import Image
from pytest_django.asserts import assertContains

from kiosk.models import Claim, ClaimAttachment
from kiosk.services.attachments import signature_from_typed_name
from tests.images import signature_data_url

pytestmark = pytest.mark.django_db


def unsigned(claim: Claim) -> Claim:
    claim.attachments.filter(kind=ClaimAttachment.Kind.SIGNATURE).delete()
    claim.completed_steps = [s for s in claim.completed_steps if s != "signature"]
    claim.save()
    return claim


def submit(client, claim: Claim, data: dict | None = None):
    return client.post(reverse("kiosk:claim-submit", args=[claim.reference]), data or {})


def review(client, claim: Claim):
    return client.get(reverse("kiosk:claim-step", args=[claim.reference, "review"]))


def test_a_typed_name_becomes_the_signature_image_sent_like_a_drawn_one(
    associate_client, complete_claim, api_to_sandbox, media_server
):
    claim = unsigned(complete_claim)

    response = submit(associate_client, claim, {"signature_typed_name": "  José  Núñez "})

    assert response.url == reverse("kiosk:claim-result", args=[claim.reference])
    claim.refresh_from_db()
    assert claim.status == Claim.Status.FILED
    (signature,) = claim.attachments_of(ClaimAttachment.Kind.SIGNATURE)
    assert signature.typed
    # The API's body is unchanged: a URL of the stored image.
    assert claim.request_payload["signature"].endswith(signature.file.name)
    with Image.open(signature.file) as image:
        assert image.format == "PNG" and image.mode == "RGBA"
        assert image.getchannel("A").getbbox() is not None  # ink, not blank
        assert not image.info.get("exif") and not image.text  # no metadata


def test_a_drawn_signature_is_not_marked_typed_and_wins_over_a_name(
    associate_client, complete_claim, api_to_sandbox, media_server
):
    claim = unsigned(complete_claim)

    submit(
        associate_client,
        claim,
        {"signature_data": signature_data_url(), "signature_typed_name": "Dana Reyes"},
    )

    (signature,) = Claim.objects.get().attachments_of(ClaimAttachment.Kind.SIGNATURE)
    assert not signature.typed


def test_the_review_says_the_claim_was_signed_by_typing(associate_client, complete_claim):
    claim = unsigned(complete_claim)
    associate_client.post(
        reverse("kiosk:claim-step", args=[claim.reference, "signature"]),
        {"signature_typed_name": "Dana Reyes"},
    )

    page = review(associate_client, claim).content.decode()

    assert "Signed by typing the name." in page
    assert "name, typed as their signature" in page


def test_a_store_that_does_not_allow_typing_offers_no_typed_name_and_ignores_one(
    associate_client, complete_claim, api_to_sandbox
):
    claim = unsigned(complete_claim)
    claim.store.typed_signature_allowed = False
    claim.store.save()

    assert "signature_typed_name" not in review(associate_client, claim).content.decode()
    submit(associate_client, claim, {"signature_typed_name": "Dana Reyes"})

    claim.refresh_from_db()
    assert claim.status == Claim.Status.DRAFT
    assert not claim.attachments_of(ClaimAttachment.Kind.SIGNATURE)


def test_a_name_the_font_cannot_show_is_refused_at_its_field(associate_client, complete_claim):
    claim = unsigned(complete_claim)

    submit(associate_client, claim, {"signature_typed_name": "王小明"})

    page = review(associate_client, claim).content.decode()
    assert "The signature cannot show these letters: 王 小 明." in page
    assert 'href="#id_signature_typed_name"' in page
    assert Claim.objects.get().status == Claim.Status.DRAFT


def test_submit_without_a_signature_says_what_is_missing_at_the_top(
    associate_client, complete_claim
):
    claim = unsigned(complete_claim)

    response = submit(associate_client, claim)

    assert response.url == reverse("kiosk:claim-step", args=[claim.reference, "review"])
    assert [str(m) for m in get_messages(response.wsgi_request)] == []
    page = review(associate_client, claim).content.decode()
    top, pad = page.index('data-testid="error-summary"'), page.index('id="signature-pad"')
    summary = page[top:pad]
    assert '<a href="#signature-pad">The customer has not signed yet' in summary


def test_submit_with_an_earlier_page_incomplete_still_says_so(associate_client, complete_claim):
    claim = unsigned(complete_claim)
    claim.completed_steps = ["customer"]
    claim.save()

    response = submit(associate_client, claim, {"signature_data": signature_data_url()})

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Some steps are not complete yet."
    ]


def test_every_error_summary_link_leads_to_an_element_of_the_page(associate_client, store):
    associate_client.post(reverse("kiosk:claim-new"), {"store": store.pk})
    claim = Claim.objects.get()
    item_page = reverse("kiosk:claim-step", args=[claim.reference, "item"])

    # A product no longer in the catalog: its hidden field's error leads to the search.
    # The page posts every section's fields, empty where nothing was given.
    response = associate_client.post(
        item_page,
        {"nav": "next", "catalog_variant": "999999", "issue_type": "", "date_of_purchase": ""},
    )

    page = response.content.decode()
    summary = page[page.index('data-testid="error-summary"') : page.index("</ul>")]
    targets = re.findall(r'href="#([^"]*)"', summary)
    # The item's, the and the warranty's sections: every error, with its link.
    assert {"catalog-query", "id_item_name", "id_item_photos"} <= set(targets)
    assert {"id_issue_type_0", "id_date_of_purchase", "id_receipt_photos"} <= set(targets)
    for target in targets:
        assert target and f'id="{target}"' in page, target


def test_the_typed_signature_is_drawn_without_a_font_installed_for_spanish_names():
    image = signature_from_typed_name(name="Begoña Muñoz Ibáñez")

    with Image.open(io.BytesIO(image.data)) as drawn:
        assert drawn.width > drawn.height > 0


def test_the_desk_shows_how_the_claim_was_signed(manager_client, complete_claim):
    complete_claim.attachments.filter(kind=ClaimAttachment.Kind.SIGNATURE).update(typed=True)

    page = manager_client.get(reverse("admin:kiosk_claim_change", args=[complete_claim.pk]))

    assertContains(page, "How it was signed")
    assertContains(page, "Typed: the customer typed their name, drawn as the signature")
