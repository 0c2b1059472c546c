"""The catalog on the claims desk: the product a claim names, and claims by product."""

import pytest
from django.urls import reverse
from django.utils import timezone

from kiosk.models import Claim, Product, Variant
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kettle(store):
    product = Product.objects.create(name="Electric Kettle", source_product_id="7002")
    product.stores.add(store)
    return Variant.objects.create(product=product, title="Steel", sku="KT-2")


def submitted(store, **fields):
    return ClaimFactory(
        store=store, status=Claim.Status.FILED, submitted_at=timezone.now(), **fields
    )


def test_a_claim_links_to_its_product_and_to_every_claim_of_it(manager_client, store, kettle):
    claim = submitted(store, catalog_variant=kettle, item_source_product_id="7002")

    page = manager_client.get(reverse("admin:kiosk_claim_change", args=[claim.pk]))

    content = page.content.decode()
    product_url = reverse("admin:kiosk_product_change", args=[kettle.product_id])
    assert f'<a href="{product_url}">Electric Kettle – Steel</a>' in content
    assert f"?product={kettle.product_id}" in content
    assert "7002" in content  # the ids stay on the desk, off the tablet


def test_a_typed_in_item_says_so(manager_client, store):
    claim = submitted(store)

    page = manager_client.get(reverse("admin:kiosk_claim_change", args=[claim.pk]))

    assert "No, typed in" in page.content.decode()


def test_the_claims_of_one_product_and_a_refused_product_filter(manager_client, store, kettle):
    of_kettle = submitted(store, catalog_variant=kettle)
    submitted(store)
    changelist = reverse("admin:kiosk_claim_changelist")

    page = manager_client.get(changelist, {"product": kettle.product_id})
    refused = manager_client.get(changelist, {"product": "abc"})

    assert [c.pk for c in page.context["cl"].result_list] == [of_kettle.pk]
    assert list(refused.context["cl"].result_list) == []
    assert "Filter by product: “abc” is not one of its choices" in refused.content.decode()


def test_the_dashboard_counts_the_most_claimed_products(manager_client, store, kettle):
    submitted(store, catalog_variant=kettle)
    submitted(store, catalog_variant=kettle)
    submitted(store)

    page = manager_client.get(reverse("admin:kiosk_claim_dashboard"), {"period": "today"})

    assert page.context["summary"].by_product == [(kettle.product_id, "Electric Kettle", 2)]
    assert f"?product={kettle.product_id}" in page.content.decode()
