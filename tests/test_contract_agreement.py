"""The portal's request schema and the sandbox's own statement of the contract agree.

They are written apart (the sandbox from the docs, never from kiosk/), so this test is
what notices when one of them drifts from the documented body.
"""

import copy
import json
from pathlib import Path

import pytest

from kiosk.delivery.payload import PayloadInvalid, payload_validate
from sandbox.contract import contract_errors

EXAMPLE = json.loads((Path(__file__).parent / "data" / "offline_claim_example.json").read_text())
MINIMAL = {
    "customer": {"email": "jane@example.com"},
    "item": {"name": "Kettle", "details": "Does not heat", "images": ["https://m.test/a.jpg"]},
    "warranty": {"dateOfPurchase": "2026-10-01T00:00:00.000Z", "warrantyPeriod": "P1Y"},
    "shippingAddress": {
        "firstName": "Jane",
        "lastName": "Doe",
        "address1": "1 Main St",
        "city": "Springfield",
        "zip": "12345",
        "country": "United States",
    },
    "storeId": "store_123",
    "signature": "",
    "salesChannel": "IN_STORE",
    "claimCategory": "WARRANTY",
    "issueType": "DEFECTIVE_ITEM",
    "resolution": "REFUND",
}


def full_body() -> dict:
    """Every documented key, with values of the documented kinds."""
    body = copy.deepcopy(EXAMPLE)
    body["shippingAddress"]["state"] = "New York"
    body["claimFiledFrom"] = "INTERNAL"
    body["options"] = {"fromValet": True, "requireCustomerSignature": True}
    return body


def portal_accepts(body: dict) -> bool:
    try:
        payload_validate(payload=body)
    except PayloadInvalid:
        return False
    return True


def sandbox_accepts(body: dict) -> bool:
    return contract_errors(body) == []


@pytest.mark.parametrize(
    "body", [EXAMPLE, full_body(), MINIMAL], ids=["documented example", "full", "minimal"]
)
def test_both_accept_the_bodies_the_docs_allow(body):
    assert portal_accepts(body)
    assert sandbox_accepts(body)


def changed(path: str, value) -> dict:
    body = copy.deepcopy(MINIMAL)
    *parents, last = path.split(".")
    target = body
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return body


@pytest.mark.parametrize(
    "body",
    [
        changed("storeId", KeyError),
        changed("issueType", "BROKEN"),
        changed("resolution", "CASH"),
        changed("salesChannel", "in_store"),
        changed("signature", "not a url"),
        changed("customer.phoneNumber", "212 555 0100"),
        changed("item.price", "99.99"),
        changed("item.images", "https://m.test/a.jpg"),
        changed("warranty.dateOfPurchase", "2026-10-01"),
        changed("warranty.warrantyPeriod", "one year"),
        changed("shippingAddress.lat", 91),
        changed("customer.emailAddress", "jane@example.com"),
        changed("options", {"fromValet": "no"}),
    ],
)
def test_both_refuse_what_the_docs_rule_out(body):
    assert not portal_accepts(body)
    assert not sandbox_accepts(body)
