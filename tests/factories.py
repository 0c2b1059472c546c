import datetime
import uuid
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from kiosk.models import Claim, ClaimAttachment, PhotoHash, RiskSignal, Store


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"associate{n}")
    password = factory.django.Password("correct horse battery")


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Store {n}")
    # Never one of the ids tests write out ("store_123", "store_456"), whatever ran before.
    source_store_id = factory.Sequence(lambda n: f"store_f{n:03d}")
    default_country = "US"

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class ClaimFactory(factory.django.DjangoModelFactory):
    """A claim with every step's fields filled in (attachments are added separately)."""

    class Meta:
        model = Claim

    store = factory.SubFactory(StoreFactory)
    created_by = factory.SubFactory(UserFactory)
    customer_email = "customer@example.com"
    customer_phone = "+12125550100"
    item_name = "Espresso machine"
    item_sku = "SKU-12345"
    item_price = Decimal("249.99")
    item_details = "Leaks water from the base after two weeks."
    # Recent, so that the warranty (P1Y) still covers the claim whenever the suite runs.
    date_of_purchase = factory.LazyFunction(
        lambda: datetime.date.today() - datetime.timedelta(days=60)
    )
    receipt_required = True
    warranty_period = "P1Y"
    product_description = "Used daily, no visible damage."
    ship_first_name = "Jane"
    ship_last_name = "Doe"
    ship_address1 = "123 Main St"
    ship_city = "New York"
    ship_zip = "10001"
    ship_country = "US"
    ship_state = "US-NY"
    sales_channel = "IN_STORE"
    claim_category = "WARRANTY"
    issue_type = "DEFECTIVE_ITEM"
    resolution = "REFUND"
    claim_filed_from = "EXTERNAL"
    completed_steps = ["customer", "item", "warranty", "address", "issue", "signature"]


class RiskSignalFactory(factory.django.DjangoModelFactory):
    """A signal as kiosk.risk records it: give `detail` and `matched_claim_ids` as its
    code needs them."""

    class Meta:
        model = RiskSignal

    claim = factory.SubFactory(ClaimFactory)
    code = RiskSignal.Code.PRICE_MISMATCH
    weight = 20
    detail = factory.LazyFunction(
        lambda: {"item_price": "19.99", "catalog_price": "249.99", "deviation": 0.92}
    )
    matched_claim_ids = factory.LazyFunction(list)


def hashed_photo(claim: Claim, hashes: list[int], *, kind: str = "item") -> ClaimAttachment:
    """A stored photo (no file) with its perceptual hashes: as taken first, then variants."""
    attachment = ClaimAttachment.objects.create(
        claim=claim,
        kind=kind,
        file=f"claims/{uuid.uuid4().hex}.jpg",
        content_type="image/jpeg",
        width=1,
        height=1,
        size=1,
        sha256=uuid.uuid4().hex,
    )
    PhotoHash.objects.bulk_create(
        PhotoHash(attachment=attachment, variant=variant, value=value)
        for variant, value in enumerate(hashes)
    )
    return attachment
