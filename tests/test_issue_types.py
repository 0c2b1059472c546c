"""The issue types a claim is offered follow its category (ISSUE_TYPES_BY_CATEGORY)."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from kiosk.forms import IssueForm
from kiosk.forms.issue import OTHER_PROBLEM
from tests.conftest import step_form
from tests.factories import ClaimFactory

SHIPPING_ONLY = {
    "STOLEN",
    "ORDER_DELIVERED_NOT_RECEIVED",
    "TRACKING_NOT_MOVING",
    "RETURNED_TO_SENDER",
    "WRONG_ADDRESS",
}
ISSUE = {
    "resolution": "REFUND",
    "sales_channel": "IN_STORE",
    "claim_category": "WARRANTY",
    "claim_filed_from": "EXTERNAL",
}


def offered(form: IssueForm) -> set[str]:
    tiles = {value for value, _label in form.fields["issue_type"].choices}
    others = {value for value, _label in form.fields["other_issue_type"].choices}
    return (tiles | others) - {OTHER_PROBLEM}


@pytest.fixture
def claim(store, associate):
    return ClaimFactory(store=store, created_by=associate, issue_type="", completed_steps=[])


def test_a_warranty_claim_is_not_offered_shipping_problems(claim):
    form = IssueForm(claim=claim)

    assert offered(form) == {"DEFECTIVE_ITEM", "DAMAGED", "MISSING_ITEM", "WRONG_ITEM", "MULTIPLE"}
    assert [v for v, _ in form.fields["issue_type"].choices] == [
        "DEFECTIVE_ITEM",
        "DAMAGED",
        "MISSING_ITEM",
        OTHER_PROBLEM,
    ]


def test_a_shipping_claim_is_offered_shipping_problems(claim):
    claim.claim_category = "SHIPPING"

    assert offered(IssueForm(claim=claim)) >= SHIPPING_ONLY


def test_a_warranty_claim_refuses_a_shipping_problem(claim):
    data = ISSUE | {"issue_type": OTHER_PROBLEM, "other_issue_type": "STOLEN"}

    form = IssueForm(data, claim=claim)

    assert not form.is_valid()
    assert "other_issue_type" in form.errors


def test_the_category_posted_decides_the_types_offered(claim):
    data = ISSUE | {
        "claim_category": "SHIPPING",
        "issue_type": OTHER_PROBLEM,
        "other_issue_type": "TRACKING_NOT_MOVING",
    }

    form = IssueForm(data, claim=claim)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["issue_type"] == "TRACKING_NOT_MOVING"
    # The first of the category's types are tiles: a shipping claim's are shipping problems.
    assert [v for v, _ in form.fields["issue_type"].choices][:3] == [
        "ORDER_DELIVERED_NOT_RECEIVED",
        "DAMAGED",
        "STOLEN",
    ]


def test_a_claim_that_has_a_hidden_type_keeps_it(claim):
    claim.issue_type = "TRACKING_NOT_MOVING"

    form = IssueForm(claim=claim)

    assert "TRACKING_NOT_MOVING" in offered(form)
    assert (form["issue_type"].value(), form["other_issue_type"].value()) == (
        OTHER_PROBLEM,
        "TRACKING_NOT_MOVING",
    )
    data = ISSUE | {"issue_type": OTHER_PROBLEM, "other_issue_type": "TRACKING_NOT_MOVING"}
    assert IssueForm(data, claim=claim).is_valid()
    # Only its own: the other shipping problems stay hidden.
    assert offered(form) & SHIPPING_ONLY == {"TRACKING_NOT_MOVING"}


def test_the_types_offered_are_a_setting(claim, settings):
    settings.ISSUE_TYPES_BY_CATEGORY = {"WARRANTY": ["DEFECTIVE_ITEM", "STOLEN"]}

    form = IssueForm(claim=claim)

    assert offered(form) == {"DEFECTIVE_ITEM", "STOLEN"}
    # Two types: both are tiles, and there is no "Another problem…".
    assert [v for v, _ in form.fields["issue_type"].choices] == ["DEFECTIVE_ITEM", "STOLEN"]


def test_a_category_the_setting_does_not_name_is_offered_every_type(claim, settings):
    settings.ISSUE_TYPES_BY_CATEGORY = {}

    assert offered(IssueForm(claim=claim)) >= SHIPPING_ONLY


def test_an_unknown_issue_type_in_the_setting_fails_the_checks(settings):
    settings.ISSUE_TYPES_BY_CATEGORY = {"WARRANTY": ["DEFECTIVE_ITEM", "BROKEN"]}

    with pytest.raises(SystemCheckError, match="BROKEN not the API's"):
        call_command("check")


def test_the_item_page_offers_no_shipping_problem_on_a_warranty_claim(associate_client, claim):
    page = associate_client.get(reverse("kiosk:claim-step", args=[claim.reference, "item"]))

    assert offered(step_form(page, "issue")).isdisjoint(SHIPPING_ONLY)
    assert b"Tracking not moving" not in page.content
    assert b"Defective item" in page.content
