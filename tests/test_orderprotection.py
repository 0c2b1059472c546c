"""The API client against the sandbox, over real HTTP."""

import time

import pytest
import requests
import responses

from kiosk.orderprotection import (
    ApiMisconfigured,
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


def test_create_offline_claim_returns_the_claim_number(sandbox):
    filed = client_for(sandbox).create_offline_claim(BODY, idempotency_key="key-1")

    assert filed.claim_number in sandbox.claims
    assert filed.exchange.status_code == 201
    received = sandbox.received[0]
    assert received.body_json == BODY
    assert received.headers["Authorization"] == "Bearer sandbox-token"
    assert received.headers["Idempotency-Key"] == "key-1"


def test_create_offline_claim_accepts_200(sandbox, monkeypatch):
    monkeypatch.setattr(sandbox, "success_status", 200)

    filed = client_for(sandbox).create_offline_claim(BODY)

    assert filed.exchange.status_code == 200
    assert filed.claim_number in sandbox.claims
    assert sandbox.claims[filed.claim_number] == BODY


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
    # At least the read timeout, and well short of the three-second hang.
    assert 300 <= raised.value.exchange.duration_ms < 3000


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

    # Without the deadline the claim would be filed after the second of latency.
    assert "did not answer in time" in raised.value.message


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


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("inf", 3600.0),
        ("nan", None),
        ("-5", 0.0),
        ("1e309", 3600.0),
        ("86400", 3600.0),
        ("Mon, 01 Jan 1900 00:00:00 GMT", 0.0),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 3600.0),
        ("soon", None),
        ("12", 12.0),
    ],
)
@responses.activate
def test_retry_after_is_bounded_whatever_it_says(header, expected):
    responses.add(
        responses.POST,
        "https://api.test/v1/claims/offline",
        status=429,
        headers={"Retry-After": header},
    )
    client = OrderProtectionClient(
        base_url="https://api.test",
        credentials=StaticToken("t"),
        connect_timeout=1,
        read_timeout=1,
        retry_after_max=3600.0,
    )

    with pytest.raises(ApiUnavailable) as raised:
        client.create_offline_claim(BODY)

    assert raised.value.retry_after == expected


@pytest.mark.parametrize("status", [404, 405, 413])
@responses.activate
def test_wrong_url_method_or_size_is_a_configuration_error(status):
    responses.add(responses.POST, "https://api.test/v1/claims/offline", status=status)
    client = OrderProtectionClient(
        base_url="https://api.test", credentials=StaticToken("t"), connect_timeout=1, read_timeout=1
    )

    with pytest.raises(ApiMisconfigured) as raised:
        client.create_offline_claim(BODY)

    assert not isinstance(raised.value, ClaimRejected)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_may_have_filed_the_claim(sandbox, status):
    sandbox.set_faults(mode=f"error_{status}" if status != 504 else "error_503")

    with pytest.raises(ApiUnavailable) as raised:
        client_for(sandbox).create_offline_claim(BODY)

    assert raised.value.outcome_unknown


class SlowApi:
    """A tiny API on a free port: the token and the claim each answer after a delay,
    and the claim's body may come some time after its status line."""

    def __init__(self, *, token_delay=0.0, claim_delay=0.0, body_delay=0.0):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        delays = (token_delay, claim_delay, body_delay)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/v1/oauth/token":
                    time.sleep(delays[0])
                    body = b'{"access_token": "op_at_x", "expires_in": 3600}'
                    self.send_response(200)
                else:
                    time.sleep(delays[1])
                    body = b'{"status": "ok", "payload": {"sourceOrderId": "OP-1234-5678"}}'
                    self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.flush()
                if self.path != "/v1/oauth/token":
                    time.sleep(delays[2])
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def oauth_client(self, *, read_timeout=5.0):
        session = requests.Session()
        credentials = OAuthClientCredentials(
            token_url=self.url + "/v1/oauth/token",
            client_id="op_app_x",
            client_secret="op_secret_x",
            scopes=("write_claims",),
            refresh_margin=60,
            session=session,
            timeout=(2.0, read_timeout),
        )
        return OrderProtectionClient(
            base_url=self.url,
            credentials=credentials,
            connect_timeout=2.0,
            read_timeout=read_timeout,
            session=session,
        )

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_the_deadline_spans_the_token_fetch_and_the_claim():
    api = SlowApi(token_delay=0.6, claim_delay=0.6)
    try:
        # Each call fits its own 5 s read timeout; together they outlast the deadline.
        with pytest.raises(ApiUnavailable, match="did not answer in time") as raised:
            api.oauth_client().create_offline_claim(BODY, deadline=1.0)
    finally:
        api.close()

    assert raised.value.outcome_unknown  # the claim had been sent when time ran out


def test_an_answer_that_has_begun_to_arrive_is_read_past_the_deadline():
    api = SlowApi(claim_delay=0.1, body_delay=0.6)
    try:
        filed = api.oauth_client().create_offline_claim(BODY, deadline=0.4)
    finally:
        api.close()

    assert filed.claim_number == "OP-1234-5678"
