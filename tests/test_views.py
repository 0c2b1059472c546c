"""The associate's pages, driven with real form posts."""

import datetime
import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.urls import reverse
from pytest_django.asserts import assertContains

from kiosk.models import Claim, DeliveryAttempt
from kiosk.steps import STEPS_BY_SLUG, page_of
from tests.conftest import step_form
from tests.factories import StoreFactory, UserFactory
from tests.images import signature_data_url, uploaded_image


def step_url(claim, step: str) -> str:
    return reverse("kiosk:claim-step", args=[claim.reference, step])


def start_claim(client, store) -> Claim:
    response = client.post(reverse("kiosk:claim-new"), {"store": store.pk})
    claim = Claim.objects.get()
    assert response.url == step_url(claim, "customer")
    return claim


def text_file(name: str = "receipt.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"this is not a photo", content_type="image/jpeg")


# Recent, so that the warranty still covers the claim whenever the suite runs.
RECENT_PURCHASE = f"{datetime.date.today() - datetime.timedelta(days=60):%Y-%m-%d}"

VALID_STEPS = {
    "customer": {
        "ship_first_name": "Jane",
        "ship_last_name": "Doe",
        "customer_email": "jane@example.com",
        "customer_phone": "212 555 0100",
    },
    "item": {
        "item_name": "Espresso machine",
        "item_sku": "SKU-1",
        "item_price": "249.99",
        "item_details": "Leaks water from the base.",
    },
    "warranty": {
        "date_of_purchase": RECENT_PURCHASE,
        "warranty_period_choice": "P2Y",
        "product_description": "Used daily, no damage.",
    },
    "address": {
        "ship_first_name": "Jane",
        "ship_last_name": "Doe",
        "ship_address1": "123 Main St",
        "ship_city": "New York",
        "ship_zip": "10001",
        "ship_country": "US",
        "ship_state": "US-NY",
        "ship_lat": "40.7128",
        "ship_lng": "-74.006",
    },
    "issue": {
        "issue_type": "DEFECTIVE_ITEM",
        "resolution": "REFUND",
        "sales_channel": "IN_STORE",
        "claim_category": "WARRANTY",
        "claim_filed_from": "EXTERNAL",
    },
    "signature": {"signature_data": signature_data_url()},
}

# For each step: a post with one mistake, the field that must show it, and a
# value typed in the same post that must survive the error.
INVALID_STEPS = {
    "customer": (
        {"customer_email": "jane@example.com", "customer_phone": "12"},
        "customer_phone",
        "jane@example.com",
    ),
    "item": (
        {**VALID_STEPS["item"], "item_price": "-1"},
        "item_price",
        "Leaks water from the base.",
    ),
    "warranty": (
        {**VALID_STEPS["warranty"], "date_of_purchase": "2999-01-01"},
        "date_of_purchase",
        "Used daily, no damage.",
    ),
    "address": ({**VALID_STEPS["address"], "ship_lat": "91"}, "ship_lat", "123 Main St"),
    "issue": ({**VALID_STEPS["issue"], "issue_type": "BROKEN"}, "issue_type", "REFUND"),
    "signature": ({"signature_data": signature_data_url(blank=True)}, "signature_data", None),
}


@pytest.mark.parametrize("step", list(INVALID_STEPS))
def test_claim_step_error_shows_at_the_field_and_loses_nothing(associate_client, store, step):
    claim = start_claim(associate_client, store)
    data, field, typed = INVALID_STEPS[step]

    response = associate_client.post(step_url(claim, step), data | {"nav": "next"}, follow=True)

    # The signature is given on the review page, and its error shows there; the issue and
    # the warranty on the item's page.
    page_url = step_url(claim, page_of(STEPS_BY_SLUG[step]).slug)

    def shown(response):
        if step == "signature":
            return response.context["signature_form"]
        return step_form(response, step)

    assert response.redirect_chain in ([], [(page_url, 302)])
    assert shown(response).errors[field]
    message = shown(response).errors[field][0]
    assert message.encode() in response.content.replace(b"&#x27;", b"'")
    if step != "signature":
        assert b'data-testid="error-summary"' in response.content
    if typed:
        assert typed.encode() in response.content
    claim.refresh_from_db()
    assert step not in claim.completed_steps
    # A reload shows the same input and the same error.
    reloaded = associate_client.get(page_url)
    assert shown(reloaded).errors[field]
    if typed:
        assert typed.encode() in reloaded.content


def test_the_item_s_page_saves_the_item_the_issue_and_the_warranty_in_one_post(
    associate_client, store
):
    claim = start_claim(associate_client, store)
    page = associate_client.get(step_url(claim, "item"))
    assert [step.slug for step, _ in page.context["sections"]] == ["item", "issue", "warranty"]
    posted = (
        VALID_STEPS["item"]
        | VALID_STEPS["issue"]
        | VALID_STEPS["warranty"]
        | {
            "item_photos": [uploaded_image("a.jpg")],
            "receipt_photos": [uploaded_image("r.jpg", color="white")],
            "nav": "next",
        }
    )

    response = associate_client.post(step_url(claim, "item"), posted)

    assert response.url == step_url(claim, "address")
    claim.refresh_from_db()
    assert {"item", "issue", "warranty"} <= set(claim.completed_steps)
    assert (claim.item_name, claim.issue_type) == (
        VALID_STEPS["item"]["item_name"],
        VALID_STEPS["issue"]["issue_type"],
    )
    assert str(claim.date_of_purchase) == str(VALID_STEPS["warranty"]["date_of_purchase"])
    assert sorted(a.kind for a in claim.attachments.current()) == ["item", "receipt"]


def test_the_item_s_page_shows_each_of_its_steps_errors_and_keeps_the_rest(associate_client, store):
    claim = start_claim(associate_client, store)
    posted = VALID_STEPS["item"] | VALID_STEPS["issue"] | VALID_STEPS["warranty"]
    posted |= {"item_photos": [uploaded_image()], "date_of_purchase": ""}

    response = associate_client.post(step_url(claim, "item"), posted)

    assert response.status_code == 200
    assert not step_form(response, "item").errors and not step_form(response, "issue").errors
    assert set(step_form(response, "warranty").errors) == {"date_of_purchase", "receipt_photos"}
    assert b"these 2 fields" in response.content
    claim.refresh_from_db()
    assert {"item", "issue"} <= set(claim.completed_steps)
    assert "warranty" not in claim.completed_steps


def test_claim_step_keeps_good_photos_when_another_upload_is_bad(associate_client, store):
    claim = start_claim(associate_client, store)
    data = VALID_STEPS["warranty"] | {"receipt_photos": [uploaded_image(), text_file()]}

    response = associate_client.post(step_url(claim, "warranty"), data | {"nav": "next"})

    assert "receipt.jpg: This file is not a photo" in str(step_form(response, "warranty").errors)
    assert claim.attachments.filter(kind="receipt").count() == 1
    assert b'data-testid="attachments-receipt"' in response.content
    # Pressing Next again, with no new file, is enough: the stored photo counts.
    response = associate_client.post(step_url(claim, "warranty"), VALID_STEPS["warranty"])
    assert response.url == step_url(claim, "address")


def test_claim_step_requires_receipt_and_item_photos(associate_client, store):
    claim = start_claim(associate_client, store)

    item = associate_client.post(step_url(claim, "item"), VALID_STEPS["item"])
    warranty = associate_client.post(step_url(claim, "warranty"), VALID_STEPS["warranty"])

    assert step_form(item, "item").errors["item_photos"] == ["Add at least one photo of the item."]
    assert step_form(warranty, "warranty").errors["receipt_photos"] == [
        "This store requires a photo of the receipt."
    ]


def test_claim_step_receipt_is_optional_when_the_store_says_so(associate_client, associate):
    store = StoreFactory(receipt_required=False, members=[associate])
    claim = start_claim(associate_client, store)

    response = associate_client.post(step_url(claim, "warranty"), VALID_STEPS["warranty"])

    assert response.url == step_url(claim, "address")


def test_claim_step_back_keeps_invalid_input_for_later(associate_client, store):
    claim = start_claim(associate_client, store)
    data = {**VALID_STEPS["item"], "item_price": "abc", "nav": "back"}

    response = associate_client.post(step_url(claim, "item"), data)

    assert response.url == step_url(claim, "customer")
    assert b"abc" in associate_client.get(step_url(claim, "item")).content


def test_claim_step_remove_photo_keeps_typed_text(associate_client, store):
    claim = start_claim(associate_client, store)
    associate_client.post(
        step_url(claim, "item"), VALID_STEPS["item"] | {"item_photos": [uploaded_image()]}
    )
    photo = claim.attachments.get()

    associate_client.post(
        step_url(claim, "item"),
        VALID_STEPS["item"] | {"item_name": "Renamed", "remove_attachment": photo.pk},
    )

    claim.refresh_from_db()
    assert not claim.attachments.exists()
    assert claim.item_name == "Renamed"
    assert "item" not in claim.completed_steps


def test_claim_steps_normalise_what_was_typed(associate_client, store):
    claim = start_claim(associate_client, store)
    associate_client.post(step_url(claim, "customer"), VALID_STEPS["customer"])
    associate_client.post(
        step_url(claim, "warranty"),
        VALID_STEPS["warranty"]
        | {
            "warranty_period_choice": "other",
            "warranty_period_custom": "p18m",
            "receipt_photos": [uploaded_image()],
        },
    )

    claim.refresh_from_db()
    assert claim.customer_phone == "+12125550100"
    assert claim.warranty_period == "P18M"


def test_associate_files_claim_through_every_step(
    associate_client, store, api_to_sandbox, media_server
):
    claim = start_claim(associate_client, store)
    uploads = {
        "item": {"item_photos": [uploaded_image("a.jpg"), uploaded_image("b.png", "PNG")]},
        "warranty": {"receipt_photos": [uploaded_image("r.jpg", color="white")]},
    }
    for step, data in VALID_STEPS.items():
        response = associate_client.post(step_url(claim, step), data | uploads.get(step, {}))
        assert response.status_code == 302, step
    review = associate_client.get(step_url(claim, "review"))
    assert review.context["ready"]
    assert review.context["payload"]["item"]["name"] == "Espresso machine"

    response = associate_client.post(reverse("kiosk:claim-submit", args=[claim.reference]))

    claim.refresh_from_db()
    assert response.url == reverse("kiosk:claim-result", args=[claim.reference])
    assert claim.status == Claim.Status.FILED
    assert claim.claim_number in api_to_sandbox.claims
    sent = api_to_sandbox.received[0].body_json
    assert sent == claim.request_payload
    assert sent["customer"]["phoneNumber"] == "+12125550100"
    assert len(sent["item"]["images"]) == 2
    assert sent["shippingAddress"]["stateAbr"] == "NY"
    assert sent["signature"].startswith(media_server)
    assert claim.response_body["payload"]["sourceOrderId"] == claim.claim_number
    result = associate_client.get(response.url)
    assert claim.claim_number.encode() in result.content
    attempt = DeliveryAttempt.objects.get(claim=claim)
    assert (attempt.number, attempt.status_code, attempt.outcome) == (1, 201, "filed")


def test_claim_submit_twice_files_once(
    associate_client, complete_claim, api_to_sandbox, media_server
):
    url = reverse("kiosk:claim-submit", args=[complete_claim.reference])

    associate_client.post(url)
    second = associate_client.post(url)

    assert second.url == reverse("kiosk:claim-result", args=[complete_claim.reference])
    assert len(api_to_sandbox.claims) == 1
    assert complete_claim.attempts.count() == 1


def test_claim_rejected_by_api_returns_to_the_field_it_names(
    associate_client, complete_claim, api_to_sandbox, media_server
):
    # The API cannot fetch the receipt photo: it names warranty.receiptImages[0].
    complete_claim.attachments.get(kind="receipt").file.delete(save=False)

    response = associate_client.post(reverse("kiosk:claim-submit", args=[complete_claim.reference]))

    complete_claim.refresh_from_db()
    assert complete_claim.status == Claim.Status.NEEDS_ATTENTION
    assert complete_claim.attention_reason == Claim.AttentionReason.REJECTED
    assert response.url == step_url(complete_claim, "item")  # the receipt is on the item's page
    page = associate_client.get(response.url)
    warranty = step_form(page, "warranty")
    assert "could not fetch image" in " ".join(warranty.errors["receipt_photos"])
    assert warranty["product_description"].value() == "Used daily, no visible damage."
    # Replace the photo and resubmit: the claim is filed.
    broken = complete_claim.attachments.get(kind="receipt")
    warranty = {"date_of_purchase": RECENT_PURCHASE, "warranty_period_choice": "P1Y"}
    associate_client.post(
        step_url(complete_claim, "warranty"), warranty | {"remove_attachment": broken.pk}
    )
    associate_client.post(
        step_url(complete_claim, "warranty"), warranty | {"receipt_photos": [uploaded_image()]}
    )
    complete_claim.refresh_from_db()
    assert complete_claim.last_error == ""
    associate_client.post(reverse("kiosk:claim-submit", args=[complete_claim.reference]))
    complete_claim.refresh_from_db()
    assert complete_claim.status == Claim.Status.FILED
    assert complete_claim.attempts.count() == 2


@pytest.mark.parametrize(
    ("mode", "outcome", "status"),
    [
        ("rate_limit_429", "unavailable", Claim.Status.QUEUED),
        ("error_503", "unknown", Claim.Status.OUTCOME_UNKNOWN),
        ("drop", "unknown", Claim.Status.OUTCOME_UNKNOWN),
        ("malformed_json", "unknown", Claim.Status.OUTCOME_UNKNOWN),
    ],
)
def test_claim_api_unavailable_is_saved_and_queued(
    associate_client, complete_claim, api_to_sandbox, media_server, mode, outcome, status
):
    api_to_sandbox.set_faults(mode=mode)

    response = associate_client.post(reverse("kiosk:claim-submit", args=[complete_claim.reference]))
    page = associate_client.get(response.url)

    complete_claim.refresh_from_db()
    assert complete_claim.status == status
    assert b"Saved. It will be filed automatically." in page.content
    assert complete_claim.reference.encode() in page.content
    attempt = complete_claim.attempts.get()
    assert (attempt.outcome, attempt.sent_from) == (outcome, "counter")
    assert attempt.decision.startswith("retry in ")


def test_claim_api_slower_than_the_counter_deadline_is_queued(
    associate_client, complete_claim, api_to_sandbox, media_server, settings
):
    settings.DELIVERY_COUNTER_DEADLINE = 0.3
    api_to_sandbox.set_faults(mode="hang", hang_seconds=2)

    associate_client.post(reverse("kiosk:claim-submit", args=[complete_claim.reference]))

    complete_claim.refresh_from_db()
    attempt = complete_claim.attempts.get()
    # The request may have been filed: it is looked up before it is sent again.
    assert complete_claim.status == Claim.Status.OUTCOME_UNKNOWN
    assert complete_claim.unknown_outcome_since == attempt.started_at
    assert attempt.error_class == "ApiUnavailable" and 300 <= attempt.duration_ms < 2000


def test_claim_unauthorized_asks_for_a_manager_and_never_shows_the_token(
    associate_client, complete_claim, api_to_sandbox, media_server, settings
):
    settings.ORDERPROTECTION_API_TOKEN = "op_secret_do_not_show"

    response = associate_client.post(reverse("kiosk:claim-submit", args=[complete_claim.reference]))
    page = associate_client.get(response.url)

    assert b"call a store manager" in page.content
    assert b"op_secret_do_not_show" not in page.content
    # The token was sent (and refused), yet nothing kept for the audit holds it.
    assert api_to_sandbox.received[0].response_status == 401
    complete_claim.refresh_from_db()
    kept = [model_to_dict(complete_claim)] + [
        model_to_dict(a) for a in complete_claim.attempts.all()
    ]
    assert "op_secret_do_not_show" not in json.dumps(kept, default=str)


def test_claim_submit_refuses_an_incomplete_claim(associate_client, store, api_to_sandbox):
    claim = start_claim(associate_client, store)

    response = associate_client.post(reverse("kiosk:claim-submit", args=[claim.reference]))

    assert response.url == step_url(claim, "customer")
    assert api_to_sandbox.received == []


def test_home_lists_drafts_to_resume(associate_client, store):
    claim = start_claim(associate_client, store)
    associate_client.post(step_url(claim, "customer"), VALID_STEPS["customer"])

    home = associate_client.get(reverse("kiosk:home"))
    resume = associate_client.get(reverse("kiosk:claim-resume", args=[claim.reference]))

    assert claim.reference.encode() in home.content
    assert resume.url == step_url(claim, "item")


def test_claims_of_other_stores_are_not_found(client, complete_claim):
    outsider = UserFactory(username="outsider")
    StoreFactory(members=[outsider])
    client.force_login(outsider)

    assert client.get(step_url(complete_claim, "customer")).status_code == 404
    assert (
        client.post(reverse("kiosk:claim-new"), {"store": complete_claim.store.pk}).status_code
        == 404
    )


def test_every_page_but_login_needs_a_login(client, complete_claim):
    for url in (reverse("kiosk:home"), step_url(complete_claim, "item"), reverse("admin:index")):
        assert client.get(url).status_code == 302
    assert client.get(reverse("login")).status_code == 200


def test_sandbox_banner_shows_when_the_api_is_not_production(associate_client, settings):
    assert b'data-testid="sandbox-banner"' in associate_client.get(reverse("kiosk:home")).content
    settings.ORDERPROTECTION_SANDBOX = False
    assert (
        b'data-testid="sandbox-banner"' not in associate_client.get(reverse("kiosk:home")).content
    )


def test_subdivisions_lists_a_countrys_states(associate_client):
    response = associate_client.get(reverse("kiosk:subdivisions"), {"country": "CA"})

    assert {"code": "CA-ON", "name": "Ontario"} in response.json()["subdivisions"]


def test_postal_code_place_answers_a_zip_codes_city_and_state(associate_client):
    response = associate_client.get(
        reverse("kiosk:postal-code-place"), {"country": "US", "postal_code": "10001-1234"}
    )

    assert response.json() == {"city": "New York", "state": "US-NY"}
    assert "max-age=86400" in response["Cache-Control"]


@pytest.mark.parametrize(("country", "postal_code"), [("US", "99999"), ("CA", "10001"), ("", "")])
def test_postal_code_place_of_an_unknown_code_is_404(associate_client, country, postal_code):
    response = associate_client.get(
        reverse("kiosk:postal-code-place"), {"country": country, "postal_code": postal_code}
    )

    assert response.status_code == 404
    assert "city" not in response.json()


def test_postal_code_place_is_refused_to_anonymous_callers(client):
    response = client.get(
        reverse("kiosk:postal-code-place"), {"country": "US", "postal_code": "10001"}
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_start_next_claim_opens_an_empty_draft(associate_client, complete_claim):
    complete_claim.status = Claim.Status.FILED
    complete_claim.save()

    response = associate_client.post(reverse("kiosk:claim-new"), {"store": complete_claim.store.pk})
    page = associate_client.get(response.url)

    assert b"customer@example.com" not in page.content
    assert Claim.objects.filter(status="draft").count() == 1


def test_claim_dates_in_the_future_are_refused_server_side(associate_client, store):
    claim = start_claim(associate_client, store)
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)

    response = associate_client.post(
        step_url(claim, "warranty"), VALID_STEPS["warranty"] | {"date_of_purchase": tomorrow}
    )

    assert step_form(response, "warranty").errors["date_of_purchase"]


def test_the_start_screen_keeps_no_trail_of_earlier_customers(associate_client, complete_claim):
    complete_claim.status, complete_claim.claim_number = Claim.Status.FILED, "XX-1111-2222"
    complete_claim.submitted_at = complete_claim.created_at
    complete_claim.save()

    home = associate_client.get(reverse("kiosk:home")).content.decode()

    assert "XX-1111-2222" not in home and complete_claim.reference not in home
    assert complete_claim.customer_email not in home


def test_claim_step_stores_photos_as_soon_as_they_are_picked(associate_client, store):
    claim = start_claim(associate_client, store)
    typed = {"item_name": "Kettle"}  # the rest is not typed yet

    response = associate_client.post(
        step_url(claim, "item"), typed | {"item_photos": [uploaded_image()], "nav": "stay"}
    )

    assert response.url == step_url(claim, "item")
    assert claim.attachments.filter(kind="item").count() == 1
    page = associate_client.get(response.url)
    assert not step_form(page, "item").errors  # not checked until Next
    assert step_form(page, "item")["item_name"].value() == "Kettle"


def test_claim_step_reports_a_refused_photo_at_once_and_only_that(associate_client, store):
    claim = start_claim(associate_client, store)

    response = associate_client.post(
        step_url(claim, "warranty"),
        {"product_description": "Scratched", "receipt_photos": [text_file()], "nav": "stay"},
    )

    assert response.status_code == 200
    assert list(step_form(response, "warranty").errors) == ["receipt_photos"]
    assert b"Scratched" in response.content


def test_claim_step_back_without_a_receipt_goes_back(associate_client, store):
    claim = start_claim(associate_client, store)

    response = associate_client.post(step_url(claim, "warranty"), {"nav": "back"})

    assert response.url == step_url(claim, "customer")  # the page before the item's


def test_autosave_keeps_what_was_typed_without_checking_it(associate_client, store):
    claim = start_claim(associate_client, store)

    response = associate_client.post(
        step_url(claim, "customer"),
        {"ship_first_name": "Dana", "customer_email": "dana@exa", "nav": "autosave"},
    )

    assert response.status_code == 204
    claim.refresh_from_db()
    typed = claim.pending_input["customer"]
    assert typed["checked"] is False
    assert typed["data"]["ship_first_name"] == ["Dana"]
    assert claim.customer_name == "Dana"
    page = associate_client.get(step_url(claim, "customer"))
    assert step_form(page, "customer")["customer_email"].value() == "dana@exa"
    assert not step_form(page, "customer").errors


def post_customer(client, claim, order, nav="autosave", **typed):
    """Post the customer step as sent from a page rendered at order[0], save order[1]."""
    data = VALID_STEPS["customer"] | typed | {"nav": nav}
    data |= {"page_rendered_at": str(order[0]), "input_sequence": str(order[1])}
    return client.post(step_url(claim, "customer"), data)


def test_a_background_save_that_arrives_after_a_later_one_changes_nothing(associate_client, store):
    claim = start_claim(associate_client, store)
    post_customer(associate_client, claim, (1000, 2), ship_first_name="Dana")

    late = post_customer(associate_client, claim, (1000, 1), ship_first_name="Dan")

    assert late.status_code == 204
    claim.refresh_from_db()
    assert claim.ship_first_name == "Dana"
    assert (claim.input_page_rendered_at, claim.input_sequence) == (1000, 2)
    # Saves from a page rendered later come after every save of the earlier page.
    post_customer(associate_client, claim, (2000, 1), ship_first_name="Danae")
    claim.refresh_from_db()
    assert claim.ship_first_name == "Danae"


def test_next_is_not_undone_by_a_background_save_still_on_its_way(associate_client, store):
    claim = start_claim(associate_client, store)

    response = post_customer(associate_client, claim, (1000, 3), nav="next", ship_first_name="Dana")
    late = post_customer(associate_client, claim, (1000, 2), ship_first_name="Dan")

    assert response.url == step_url(claim, "item")
    assert late.status_code == 204
    claim.refresh_from_db()
    assert claim.ship_first_name == "Dana"
    assert "customer" in claim.completed_steps and claim.pending_input == {}


def test_the_associates_own_save_applies_whatever_order_it_carries(associate_client, store):
    claim = start_claim(associate_client, store)
    post_customer(associate_client, claim, (5000, 9), ship_first_name="Dana")

    response = post_customer(associate_client, claim, (1000, 1), nav="next", ship_first_name="Jo")

    assert response.url == step_url(claim, "item")
    claim.refresh_from_db()
    assert claim.ship_first_name == "Jo"


@pytest.mark.parametrize(
    "order", [("", ""), ("-1", "1"), ("1000", "-5"), (str(2**63), "1"), ("1e3", "x")]
)
def test_a_save_with_a_malformed_order_is_saved_without_one(associate_client, store, order):
    claim = start_claim(associate_client, store)
    post_customer(associate_client, claim, (1000, 2), ship_first_name="Dana")

    late = post_customer(associate_client, claim, order, ship_first_name="Dan")

    assert late.status_code == 204
    claim.refresh_from_db()
    assert claim.ship_first_name == "Dan"
    assert (claim.input_page_rendered_at, claim.input_sequence) == (1000, 2)


def test_a_step_page_carries_its_render_time_for_ordering_saves(associate_client, store):
    claim = start_claim(associate_client, store)
    before = time.time_ns() // 1_000_000

    page = associate_client.get(step_url(claim, "customer"))

    rendered_at = page.context["page_rendered_at"]
    assert before <= rendered_at <= time.time_ns() // 1_000_000
    assertContains(page, f'name="page_rendered_at" value="{rendered_at}"')


def test_a_draft_keeps_only_its_forms_fields_each_capped(associate_client, store):
    claim = start_claim(associate_client, store)

    associate_client.post(
        step_url(claim, "customer"),
        {"ship_first_name": "D" * 5000, "junk": "x" * 1_000_000, "customer_email": "bad"},
    )

    claim.refresh_from_db()
    typed = claim.pending_input["customer"]["data"]
    assert "junk" not in typed
    assert typed["ship_first_name"] == ["D" * 100]  # the field's max_length
    assert len(json.dumps(claim.pending_input)) < 1_000


def test_the_signature_given_under_the_review_is_sent_with_the_claim(
    associate_client, complete_claim, api_to_sandbox, media_server
):
    complete_claim.attachments.filter(kind="signature").delete()
    complete_claim.completed_steps = [s for s in complete_claim.completed_steps if s != "signature"]
    complete_claim.save()

    response = associate_client.post(
        reverse("kiosk:claim-submit", args=[complete_claim.reference]),
        {"signature_data": signature_data_url()},
    )

    assert response.url == reverse("kiosk:claim-result", args=[complete_claim.reference])
    complete_claim.refresh_from_db()
    assert complete_claim.status == Claim.Status.FILED
    assert complete_claim.request_payload["signature"].endswith(".png")


def test_a_customers_details_typed_on_the_start_screen_start_the_claim(associate_client, store):
    response = associate_client.post(
        reverse("kiosk:claim-new"),
        {
            "store": store.pk,
            "ship_first_name": "Dana",
            "ship_last_name": "Reyes",
            "customer_email": "dana@example.com",
            "customer_phone": "(212) 555-0147",
        },
    )

    claim = Claim.objects.get()
    assert response.url == step_url(claim, "item")
    assert claim.customer_name == "Dana Reyes" and claim.customer_phone == "+12125550147"
    assert "customer" in claim.completed_steps


def test_the_requests_host_never_decides_the_urls_sent_to_the_api(
    associate_client, complete_claim, api_to_sandbox, media_server, settings
):
    settings.ALLOWED_HOSTS = ["*"]

    associate_client.post(
        reverse("kiosk:claim-submit", args=[complete_claim.reference]), HTTP_HOST="127.0.0.1:8399"
    )

    complete_claim.refresh_from_db()
    body = complete_claim.request_payload
    urls = [*body["item"]["images"], *body["warranty"]["receiptImages"], body["signature"]]
    assert urls and all(url.startswith(media_server + "/") for url in urls), urls
    assert not any("8399" in url for url in urls)


def test_home_names_the_item_of_a_draft_whose_item_page_is_not_complete(associate_client, store):
    claim = start_claim(associate_client, store)
    associate_client.post(step_url(claim, "customer"), VALID_STEPS["customer"])
    # Saved as typed (no photo yet, so the item's step is not complete), then left.
    associate_client.post(step_url(claim, "item"), {**VALID_STEPS["item"], "nav": "autosave"})

    home = associate_client.get(reverse("kiosk:home"))

    assertContains(home, "· Espresso machine")
    assert b"no item yet" not in home.content


def test_favicon_is_linked_and_served(associate_client, admin_client):
    home = associate_client.get(reverse("kiosk:home"))
    desk = admin_client.get(reverse("admin:index"))
    asked = associate_client.get("/favicon.ico")

    assertContains(home, 'rel="icon" href="/static/kiosk/favicon.svg"')
    assertContains(desk, 'rel="icon" href="/static/kiosk/favicon.svg"')
    assert asked.status_code == 301 and asked.url == "/static/kiosk/favicon.svg"
