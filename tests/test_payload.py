import datetime
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from kiosk.delivery.payload import PayloadInvalid, claim_payload, payload_validate
from kiosk.models import ClaimAttachment
from kiosk.steps import FORM_STEPS, step_for_payload_field
from tests.factories import ClaimFactory, StoreFactory

# The example request body of docs/reference/create-offline-claim.md (the API's contract,
# copied into the repo), as a file the tests and the benchmarks load.
EXAMPLE = Path(__file__).resolve().parent / "data" / "offline_claim_example.json"
REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference" / "create-offline-claim.md"


def reference_example_body() -> dict:
    return json.loads(EXAMPLE.read_text())


def test_reference_example_copy_matches_the_documentation():
    documented = re.search(r"```json\n(.*?)```", REFERENCE.read_text(), re.DOTALL)[1]

    assert json.loads(documented) == reference_example_body()


def example_url(attachment: ClaimAttachment) -> str:
    return f"https://example.com/{attachment.file.name}"


def add_named_attachment(claim, kind: str, name: str) -> None:
    ClaimAttachment.objects.create(
        claim=claim,
        kind=kind,
        file=name,
        content_type="image/jpeg",
        width=1,
        height=1,
        size=1,
        sha256="0" * 64,
    )


@pytest.fixture
def reference_claim(db):
    """A claim holding exactly the data of the documented example request."""
    store = StoreFactory(source_store_id="store_123")
    claim = ClaimFactory(
        store=store,
        customer_email="customer@example.com",
        customer_phone="+1234567890",
        item_source_product_id="product_123",
        item_source_variant_id="variant_123",
        item_name="Product Name",
        item_source_item_id="item_123",
        item_sku="SKU-12345",
        item_details="Product details and description of the issue",
        item_price=Decimal("99.99"),
        item_sub_issue_id="sub_issue_123",
        date_of_purchase=datetime.date(2024, 1, 15),
        receipt_required=True,
        warranty_period="P1Y",
        product_description="Description of the product and its condition",
        ship_first_name="John",
        ship_last_name="Smith",
        ship_address1="123 Main St",
        ship_address2="Apt 1",
        ship_city="New York",
        ship_zip="10001",
        ship_country="US",
        ship_state="US-NY",
        ship_lat=Decimal("40.7128"),
        ship_lng=Decimal("-74.006"),
        address_origin="CONCIERGE",
        sales_channel="IN_STORE",
        claim_category="WARRANTY",
        issue_type="DEFECTIVE_ITEM",
        resolution="REFUND",
        claim_filed_from="EXTERNAL",
        from_valet=False,
        require_customer_signature=False,
    )
    add_named_attachment(claim, ClaimAttachment.Kind.ITEM, "image1.jpg")
    add_named_attachment(claim, ClaimAttachment.Kind.ITEM, "image2.jpg")
    add_named_attachment(claim, ClaimAttachment.Kind.PRODUCT, "product.jpg")
    add_named_attachment(claim, ClaimAttachment.Kind.RECEIPT, "receipt.jpg")
    add_named_attachment(claim, ClaimAttachment.Kind.SIGNATURE, "signature.png")
    return claim


def test_claim_payload_reproduces_the_reference_example_key_for_key(reference_claim, settings):
    # The documented example sends the state's code in `state`.
    settings.ORDERPROTECTION_STATE_VALUE = "code"

    body = claim_payload(claim=reference_claim, file_url=example_url)

    assert body == reference_example_body()
    assert json.dumps(body["item"]["price"]) == "99.99"


def test_claim_payload_sends_state_name_by_default(reference_claim):
    address = claim_payload(claim=reference_claim, file_url=example_url)["shippingAddress"]

    assert (address["state"], address["stateAbr"]) == ("New York", "NY")
    assert (address["country"], address["countryAbr"]) == ("United States", "US")


def test_claim_payload_passes_the_request_schema(reference_claim):
    body = claim_payload(claim=reference_claim, file_url=example_url)

    try:
        payload_validate(payload=body)
    except PayloadInvalid as error:
        pytest.fail(f"the reference claim's body fails the schema: {error}")


def test_claim_payload_omits_what_was_never_collected(db):
    claim = ClaimFactory(
        customer_phone="", item_sku="", item_price=None, ship_state="", ship_address2=""
    )

    body = claim_payload(claim=claim, file_url=example_url)

    assert "phoneNumber" not in body["customer"]
    assert not {"sku", "price", "productImage", "images", "subIssueId"} & body["item"].keys()
    assert not {"state", "stateAbr", "lat", "lng", "address2"} & body["shippingAddress"].keys()
    assert body["signature"] == ""
    assert None not in body.values()


def test_payload_validate_names_the_field_of_a_bad_value(reference_claim):
    body = claim_payload(claim=reference_claim, file_url=example_url)
    body["issueType"] = "BROKEN"
    body["item"]["images"][1] = "not a url"

    with pytest.raises(PayloadInvalid) as raised:
        payload_validate(payload=body)

    assert raised.value.field_paths == ["issueType", "item.images[1]"]


def test_every_payload_key_is_collected_by_a_step(reference_claim):
    body = claim_payload(claim=reference_claim, file_url=example_url)
    # The store sets storeId; nobody at the counter knows the item's or the sub-issue's
    # ids (issue 18 took them off the Item step): only claims that have them send them.
    not_collected = {"storeId", "item.sourceItemId", "item.subIssueId"}

    def dotted_keys(value, prefix=""):
        for key, child in value.items():
            path = f"{prefix}{key}"
            if isinstance(child, dict):
                yield from dotted_keys(child, path + ".")
            else:
                yield path

    uncollected = [
        k for k in dotted_keys(body) if k not in not_collected and not step_for_payload_field(k)
    ]
    assert uncollected == []
    assert {step.slug for step in FORM_STEPS} == {
        "customer",
        "item",
        "warranty",
        "address",
        "issue",
        "signature",
    }


def test_one_description_feeds_both_the_item_and_the_product(complete_claim):
    from kiosk.services.submission import claim_build_payload

    complete_claim.item_details = "Leaks from the base."
    complete_claim.product_description = ""
    one = claim_build_payload(claim=complete_claim, media_base_url="https://portal.example")
    complete_claim.product_description = "Scratched lid, otherwise as new."
    two = claim_build_payload(claim=complete_claim, media_base_url="https://portal.example")

    assert one["item"]["details"] == one["warranty"]["productDescription"] == "Leaks from the base."
    assert two["item"]["details"] == "Leaks from the base."
    assert two["warranty"]["productDescription"] == "Scratched lid, otherwise as new."
