"""The review shows what is sent in people's words; the exact request keeps the codes."""

import html

import pytest
from django.urls import reverse
from django.utils import translation

from kiosk.templatetags.kiosk_review import payload_words


def review_list(content: bytes) -> str:
    """The review's sections, without the exact request."""
    text = content.decode()
    return text[text.index('data-testid="review"') : text.index('data-testid="exact-request"')]


@pytest.fixture
def review(associate_client, complete_claim):
    complete_claim.warranty_period = "P2Y"
    complete_claim.ship_zip, complete_claim.ship_state = "62701", "US-IL"
    complete_claim.save()
    return associate_client.get(
        reverse("kiosk:claim-step", args=[complete_claim.reference, "review"])
    )


def test_the_review_names_the_period_country_and_state(review):
    shown = review_list(review.content)

    assert "<dd>2 years</dd>" in " ".join(shown.split()).replace("<dd> ", "<dd>").replace(
        " </dd>", "</dd>"
    )
    assert "P2Y" not in shown
    assert "United States" in shown and "Illinois" in shown
    assert "Country code" not in shown and "State code" not in shown


def test_the_exact_request_keeps_the_codes(review):
    exact = html.unescape(review.content.decode().split('data-testid="exact-request"', 1)[1])

    for code in ('"warrantyPeriod": "P2Y"', '"countryAbr": "US"', '"stateAbr": "IL"'):
        assert code in exact


def test_the_review_names_the_state_when_the_code_is_sent(settings, associate_client, review):
    settings.ORDERPROTECTION_STATE_VALUE = "code"
    claim = review.context["claim"]

    shown = review_list(
        associate_client.get(reverse("kiosk:claim-step", args=[claim.reference, "review"])).content
    )

    assert "Illinois" in shown


def test_payload_words_in_spanish(complete_claim):
    complete_claim.ship_state = "US-NY"

    with translation.override("es"):
        assert payload_words("country", "United States", complete_claim) == "Estados Unidos"
        assert payload_words("state", "New York", complete_claim) == "Nueva York"
