"""A store's usual resolution is chosen already on its new claims; the associate can change it."""

import re

import pytest
from django.urls import reverse

from kiosk.choices import Resolution
from kiosk.demo.seed import demo_setup
from kiosk.forms.issue import IssueForm
from kiosk.models import Claim

pytestmark = pytest.mark.django_db

ISSUE = {
    "issue_type": "DEFECTIVE_ITEM",
    "sales_channel": "IN_STORE",
    "claim_category": "WARRANTY",
    "claim_filed_from": "EXTERNAL",
}


def start_claim(client, store) -> Claim:
    client.post(reverse("kiosk:claim-new"), {"store": store.pk})
    return Claim.objects.get()


def chosen(form: IssueForm) -> list[str]:
    """The resolutions the Issue step's radio buttons show checked."""
    return re.findall(r'<input[^>]*value="(\w+)"[^>]*checked', str(form["resolution"]))


def test_a_new_claim_starts_with_the_stores_usual_resolution(associate_client, store):
    store.default_resolution = Resolution.RESHIP
    store.save()

    claim = start_claim(associate_client, store)

    assert claim.resolution == Resolution.RESHIP
    assert chosen(IssueForm(claim=claim)) == ["RESHIP"]
    changed = IssueForm({**ISSUE, "resolution": "REFUND"}, claim=claim)  # the associate's call
    assert changed.is_valid() and changed.cleaned_data["resolution"] == "REFUND"


def test_without_a_usual_resolution_the_associate_must_choose(associate_client, store):
    assert store.default_resolution == ""

    claim = start_claim(associate_client, store)

    assert claim.resolution == ""
    assert chosen(IssueForm(claim=claim)) == []
    unchosen = IssueForm(ISSUE, claim=claim)
    assert not unchosen.is_valid() and list(unchosen.errors) == ["resolution"]


def test_the_desk_sets_a_stores_usual_resolution(admin_client, store):
    url = reverse("admin:kiosk_store_change", args=[store.pk])
    page = admin_client.get(url).content.decode()

    assert 'name="default_resolution"' in page
    assert "Preselected on new claims; the associate can change it." in page


def test_the_demo_store_ships_a_replacement_by_default(db):
    assert demo_setup().store.default_resolution == Resolution.RESHIP
