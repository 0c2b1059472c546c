"""The API client against the sandbox, over real HTTP."""

import pytest

from kiosk.orderprotection import (
    ApiUnauthorized,
    ApiUnavailable,
    ClaimRejected,
    OrderProtectionClient,
)

BODY = {
    "customer": {"email": "customer@example.com", "phoneNumber": "+12125550100"},
    "item": {"name": "Kettle", "details": "Does not heat", "price": 39.99},
    "warranty": {"dateOfPurchase": "2026-10-01T00:00:00.000Z", "warrantyPeriod": "P1Y"},
    "shippingAddress": {
        "firstName": "Jane",
        "lastName": "Doe",
        "address1": "1 Main St",
        "city": "New York",
        "zip": "10001",
        "country": "United States",
        "countryAbr": "US",
    },
    "storeId": "store_123",
    "signature": "",
    "salesChannel": "IN_STORE",
    "claimCategory": "WARRANTY",
    "issueType": "DEFECTIVE_ITEM",
    "resolution": "REFUND",
}


def client_for(sandbox, *, token: str = "sandbox-token", read_timeout: float = 5.0):
    return OrderProtectionClient(
        base_url=sandbox.url, token=token, connect_timeout=2.0, read_timeout=read_timeout
    )


def test_create_offline_claim_returns_the_source_order_id(sandbox):
    filed = client_for(sandbox).create_offline_claim(BODY, idempotency_key="key-1")

    assert filed.source_order_id in sandbox.claims
    assert filed.exchange.status_code == 201
    received = sandbox.received[0]
    assert received.body_json == BODY
    assert received.headers["Authorization"] == "Bearer sandbox-token"
    assert received.headers["Idempotency-Key"] == "key-1"


def test_create_offline_claim_accepts_200(sandbox):
    sandbox.success_status = 200

    try:
        filed = client_for(sandbox).create_offline_claim(BODY)
    finally:
        sandbox.success_status = 201

    assert filed.exchange.status_code == 200


def test_create_offline_claim_400_is_a_rejection_naming_the_field(sandbox):
    body = BODY | {"customer": {"email": "not-an-email"}}

    with pytest.raises(ClaimRejected) as raised:
        client_for(sandbox).create_offline_claim(body)

    assert raised.value.field_path == "customer.email"
    assert "customer.email" in raised.value.message
    assert raised.value.permanent
    assert raised.value.exchange.status_code == 400


def test_create_offline_claim_401_is_unauthorized(sandbox):
    with pytest.raises(ApiUnauthorized) as raised:
        client_for(sandbox, token="wrong").create_offline_claim(BODY)

    assert raised.value.exchange.status_code == 401
    assert "wrong" not in raised.value.message
    assert sandbox.claims == {}


@pytest.mark.parametrize(
    "mode, status", [("error_500", 500), ("error_502", 502), ("error_503", 503)]
)
def test_create_offline_claim_5xx_is_unavailable(sandbox, mode, status):
    sandbox.set_faults(mode=mode)

    with pytest.raises(ApiUnavailable) as raised:
        client_for(sandbox).create_offline_claim(BODY)

    assert raised.value.exchange.status_code == status
    assert not raised.value.permanent


def test_create_offline_claim_429_carries_retry_after(sandbox):
    sandbox.set_faults(mode="rate_limit_429", retry_after=7)

    with pytest.raises(ApiUnavailable) as raised:
        client_for(sandbox).create_offline_claim(BODY)

    assert raised.value.retry_after == 7


def test_create_offline_claim_timeout_is_unavailable(sandbox):
    sandbox.set_faults(mode="hang", hang_seconds=3)

    with pytest.raises(ApiUnavailable) as raised:
        client_for(sandbox, read_timeout=0.3).create_offline_claim(BODY)

    assert "did not answer in time" in raised.value.message
    assert raised.value.exchange.status_code is None
    assert 300 <= raised.value.exchange.duration_ms < 2000


def test_create_offline_claim_dropped_connection_is_unavailable(sandbox):
    sandbox.set_faults(mode="drop")

    with pytest.raises(ApiUnavailable, match="Could not reach"):
        client_for(sandbox).create_offline_claim(BODY)


def test_create_offline_claim_malformed_json_is_unavailable_not_rejected(sandbox):
    sandbox.set_faults(mode="malformed_json")

    with pytest.raises(ApiUnavailable, match="cannot read") as raised:
        client_for(sandbox).create_offline_claim(BODY)

    assert raised.value.exchange.status_code == 200


def test_create_offline_claim_unreachable_host_is_unavailable():
    client = OrderProtectionClient(
        base_url="http://127.0.0.1:9", token="t", connect_timeout=0.5, read_timeout=0.5
    )

    with pytest.raises(ApiUnavailable):
        client.create_offline_claim(BODY)
