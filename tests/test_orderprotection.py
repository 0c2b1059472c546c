"""The API client against the sandbox, over real HTTP."""

import time

import pytest
import requests

from kiosk.orderprotection import (
    ApiUnauthorized,
    ApiUnavailable,
    ClaimRejected,
    OAuthClientCredentials,
    OrderProtectionClient,
    StaticToken,
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
        base_url=sandbox.url,
        credentials=StaticToken(token),
        connect_timeout=2.0,
        read_timeout=read_timeout,
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
        base_url="http://127.0.0.1:9",
        credentials=StaticToken("t"),
        connect_timeout=0.5,
        read_timeout=0.5,
    )

    with pytest.raises(ApiUnavailable) as raised:
        client.create_offline_claim(BODY)

    # Nothing can have arrived: no connection was made.
    assert raised.value.outcome_unknown is False


def test_create_offline_claim_timeout_after_sending_is_an_unknown_outcome(sandbox):
    sandbox.set_faults(mode="hang", hang_seconds=1)

    with pytest.raises(ApiUnavailable) as raised:
        client_for(sandbox, read_timeout=0.2).create_offline_claim(BODY)

    assert raised.value.outcome_unknown is True


def test_create_offline_claim_deadline_shortens_the_timeouts(sandbox):
    sandbox.set_faults(latency_ms=1000)

    with pytest.raises(ApiUnavailable) as raised:
        client_for(sandbox, read_timeout=5).create_offline_claim(BODY, deadline=0.2)

    assert raised.value.exchange.duration_ms < 900


def oauth_client_for(sandbox, *, secret: str = "op_secret_sandbox", refresh_margin: int = 60):
    session = requests.Session()
    credentials = OAuthClientCredentials(
        token_url=sandbox.url + "/v1/oauth/token",
        client_id="op_app_sandbox",
        client_secret=secret,
        scopes=("write_claims",),
        refresh_margin=refresh_margin,
        session=session,
        timeout=(2.0, 5.0),
    )
    return OrderProtectionClient(
        base_url=sandbox.url,
        credentials=credentials,
        connect_timeout=2.0,
        read_timeout=5.0,
        session=session,
    )


def token_requests(sandbox):
    return [r for r in sandbox.received if r.path == "/v1/oauth/token"]


def test_oauth_token_is_requested_once_per_store_and_reused(sandbox):
    client = oauth_client_for(sandbox)

    client.create_offline_claim(BODY)
    client.create_offline_claim(BODY)
    client.create_offline_claim(BODY | {"storeId": "store_456"})

    requested = token_requests(sandbox)
    assert [r.body_json["store_id"] for r in requested] == ["store_123", "store_456"]
    assert requested[0].body_json["grant_type"] == "client_credentials"
    assert requested[0].body_json["scopes"] == ["write_claims"]
    assert len(sandbox.claims) == 3


def test_oauth_token_is_renewed_shortly_before_it_expires(sandbox):
    # The sandbox's tokens live 3600 s; a margin of 3600 s means "already too old".
    client = oauth_client_for(sandbox, refresh_margin=3600)

    client.create_offline_claim(BODY)
    time.sleep(1.1)
    client.create_offline_claim(BODY)

    assert len(token_requests(sandbox)) == 2


def test_oauth_refused_client_credentials_are_unauthorized(sandbox):
    with pytest.raises(ApiUnauthorized, match="client credentials"):
        oauth_client_for(sandbox, secret="wrong").create_offline_claim(BODY)

    assert sandbox.claims == {}


def test_oauth_tokens_and_secrets_are_never_logged(sandbox, caplog):
    caplog.set_level("DEBUG")

    oauth_client_for(sandbox).create_offline_claim(BODY)

    assert "op_secret_sandbox" not in caplog.text
    assert "op_at_" not in caplog.text
    assert "OAuth token obtained for store store_123" in caplog.text
