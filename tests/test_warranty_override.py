"""An expired warranty is filed only with an override reason, which stays with the claim."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from kiosk.forms import WarrantyForm
from kiosk.models import ClaimAttachment
from kiosk.services.completeness import claim_incomplete_steps
from kiosk.services.submission import claim_build_payload
from kiosk.steps import STEPS_BY_SLUG
from tests.conftest import attach
from tests.factories import ClaimFactory
from tests.images import image_bytes

EXPIRED = {
    "date_of_purchase": "2025-08-14",
    "warranty_period_choice": "P1Y",
    "product_description": "Used daily, no damage.",
}
COVERED = EXPIRED | {"date_of_purchase": "2026-01-14"}


@pytest.fixture(autouse=True)
def today_is_29_november_2026(monkeypatch):
    now = datetime.datetime(2026, 11, 29, 15, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)


@pytest.fixture
def claim(store, associate):
    claim = ClaimFactory(store=store, created_by=associate, completed_steps=[])
    attach(claim, ClaimAttachment.Kind.RECEIPT, image_bytes("JPEG"))
    return claim


def test_warranty_form_expired_needs_a_reason(claim):
    form = WarrantyForm(EXPIRED, claim=claim)

    assert not form.is_valid()
    assert form.errors["warranty_override_reason"] == [
        "The warranty ended on Aug 14, 2026: give a reason to file the claim anyway."
    ]
    assert list(form.errors) == ["warranty_override_reason"]
    assert form.coverage.expired and form.coverage.label == "Expired 3\xa0months ago"


def test_warranty_form_expired_with_a_reason_is_kept(claim):
    form = WarrantyForm(
        EXPIRED | {"warranty_override_reason": "  Manager Sam approved: known defect.  "},
        claim=claim,
    )

    assert form.is_valid(), form.errors
    form.save()
    claim.refresh_from_db()
    assert claim.warranty_override_reason == "Manager Sam approved: known defect."


def test_warranty_form_covered_needs_no_reason_and_keeps_none(claim):
    form = WarrantyForm(COVERED | {"warranty_override_reason": "typed earlier"}, claim=claim)

    assert form.is_valid(), form.errors
    form.save()
    claim.refresh_from_db()
    assert claim.warranty_override_reason == ""
    assert form.coverage.label == "Covered until Jan 14, 2027"


def test_warranty_form_custom_period_counts_for_coverage(claim):
    data = EXPIRED | {"warranty_period_choice": "other", "warranty_period_custom": "p18m"}

    assert WarrantyForm(data, claim=claim).is_valid()  # 14 Aug 2025 + 18 months: covered


@pytest.mark.parametrize(
    "custom, error",
    [
        ("P0.5Y", "a fraction of one has no exact end date"),
        ("PT5H", "a fraction of one has no exact end date"),
        ("P99999999999999999999D", "at most 100 years"),
        ("P200Y", "at most 100 years"),
        ("garbage", "Enter a period such as 18 months, 2 years or 90 days."),
        ("1.5 years", "a fraction of one has no exact end date"),
        ("0 days", "Enter a period such as 18 months, 2 years or 90 days."),
    ],
)
def test_warranty_form_refuses_a_custom_period_without_an_exact_end(claim, custom, error):
    # Bought long ago: an expired warranty must not pass as "covered until 9999".
    data = EXPIRED | {"warranty_period_choice": "other", "warranty_period_custom": custom}

    form = WarrantyForm(data, claim=claim)

    assert not form.is_valid()
    assert error in form.errors["warranty_period_custom"][0]


@pytest.mark.parametrize(
    "custom", ["P1Y2M10D", "P1W", "P100Y", "18 months", "1 year 6 months", "90 days"]
)
def test_warranty_form_takes_whole_periods(claim, custom):
    data = COVERED | {
        "warranty_period_choice": "other",
        "warranty_period_custom": custom,
        "warranty_override_reason": "Approved by the manager",  # P1W has ended
    }

    assert WarrantyForm(data, claim=claim).is_valid()


@pytest.mark.parametrize(
    ("typed", "period"), [("18 months", "P18M"), ("2 years", "P2Y"), ("1 year 6 months", "P1Y6M")]
)
def test_warranty_form_takes_a_period_in_peoples_words_and_sends_it_in_iso(claim, typed, period):
    data = COVERED | {"warranty_period_choice": "other", "warranty_period_custom": typed}

    form = WarrantyForm(data, claim=claim)

    assert form.is_valid(), form.errors
    form.save()
    claim.refresh_from_db()
    assert claim.warranty_period == period


def test_warranty_form_shows_a_custom_period_in_peoples_words(claim):
    claim.warranty_period = "P18M"

    form = WarrantyForm(claim=claim)

    assert form["warranty_period_custom"].value() == "18 months"
    assert form["warranty_period_choice"].value() == "other"


def test_warranty_form_refuses_a_configured_choice_without_an_exact_end(claim, settings):
    settings.WARRANTY_PERIOD_CHOICES = ["P1Y", "P0.5Y"]

    form = WarrantyForm(EXPIRED | {"warranty_period_choice": "P0.5Y"}, claim=claim)

    assert not form.is_valid()
    assert "no exact end date" in form.errors["warranty_period_choice"][0]
    assert "Covered" not in form.coverage.label


def test_warranty_form_today_is_the_stores_today(claim):
    # 15:00 UTC is already 30 Nov in Auckland: a purchase on the 30th is not in the future there.
    claim.store.time_zone = "Pacific/Auckland"
    claim.store.save()

    assert WarrantyForm(COVERED | {"date_of_purchase": "2026-11-30"}, claim=claim).is_valid()


def test_the_step_shows_the_error_and_loses_nothing_typed(associate_client, claim):
    url = reverse("kiosk:claim-step", args=[claim.reference, "warranty"])

    response = associate_client.post(url, EXPIRED | {"nav": "next"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "give a reason to file the claim anyway" in content
    assert "Expired 3\xa0months ago" in content
    assert "Used daily, no damage." in content
    assert 'value="2025-08-14"' in content
    claim.refresh_from_db()
    assert "warranty" not in claim.completed_steps

    response = associate_client.post(
        url, EXPIRED | {"warranty_override_reason": "Goodwill: regular customer", "nav": "next"}
    )

    assert response.url == reverse("kiosk:claim-step", args=[claim.reference, "address"])
    claim.refresh_from_db()
    assert claim.warranty_override_reason == "Goodwill: regular customer"
    assert claim.date_of_purchase == datetime.date(2025, 8, 14)


def test_the_step_shows_coverage_of_the_saved_claim(associate_client, claim):
    claim.date_of_purchase = datetime.date(2026, 10, 1)
    claim.save()

    response = associate_client.get(reverse("kiosk:claim-step", args=[claim.reference, "item"]))

    assert "Covered until Oct 1, 2027" in response.content.decode()


def test_the_coverage_endpoint_answers_for_a_typed_date(associate_client, claim):
    url = reverse("kiosk:claim-coverage", args=[claim.reference])

    expired = associate_client.get(
        url, {"date_of_purchase": "2025-08-14", "warranty_period": "p1y"}
    )
    unknown = associate_client.get(
        url, {"date_of_purchase": "2025-13-45", "warranty_period": "P1Y"}
    )
    no_period = associate_client.get(url, {"date_of_purchase": "2025-08-14"})

    assert expired.json() == {"label": "Expired 3\xa0months ago", "expired": True}
    assert unknown.json() == no_period.json() == {"label": "", "expired": False}


@pytest.mark.parametrize(
    "period, error",
    [
        ("P99999999999999999999D", "A warranty period can be at most 100 years."),
        ("P0.5Y", "a fraction of one has no exact end date"),
    ],
)
def test_the_coverage_endpoint_refuses_a_period_without_an_exact_end(
    associate_client, claim, period, error
):
    url = reverse("kiosk:claim-coverage", args=[claim.reference])

    response = associate_client.get(
        url, {"date_of_purchase": "2020-01-01", "warranty_period": period}
    )

    assert response.status_code == 400
    assert error in response.json()["error"]


def test_the_coverage_endpoint_is_for_the_stores_associates_only(client, claim):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="elsewhere"))

    response = client.get(reverse("kiosk:claim-coverage", args=[claim.reference]))

    assert response.status_code == 404


def test_a_warranty_that_expired_since_the_step_was_saved_makes_it_incomplete(claim):
    claim.completed_steps = list(ClaimFactory.completed_steps)
    today = timezone.localdate()
    # A year's warranty whose last day was yesterday (whenever the suite runs).
    claim.date_of_purchase = datetime.date(today.year - 1, 3, 1) - datetime.timedelta(days=1)
    claim.date_of_purchase += today - datetime.date(today.year, 3, 1)
    claim.save()

    assert not STEPS_BY_SLUG["warranty"].is_complete(claim)
    assert claim_incomplete_steps(claim=claim) == ["warranty"]
    claim.warranty_override_reason = "Approved by the manager"
    assert claim_incomplete_steps(claim=claim) == []


def test_the_override_reason_is_not_sent_to_the_api(claim):
    claim.warranty_override_reason = "Approved by the manager"

    payload = claim_build_payload(claim=claim, media_base_url="http://testserver")

    assert "Approved by the manager" not in str(payload)
    assert set(payload["warranty"]) <= {
        "dateOfPurchase",
        "receiptRequired",
        "receiptImages",
        "warrantyPeriod",
        "productDescription",
    }
