"""The sandbox's OAuth client-credentials endpoint and OAuth tokens on claims, over real HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox import DEFAULT_OAUTH_CLIENTS, SandboxServer
from tests.test_sandbox import DOCUMENTED_EXAMPLE, TOKEN

CLIENT_ID, CLIENT_SECRET = next(iter(DEFAULT_OAUTH_CLIENTS.items()))
STORE = DOCUMENTED_EXAMPLE["storeId"]
ACCESS_TOKEN = re.compile(r"^op_at_[A-Za-z0-9_-]{32}$")


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """A sandbox that does not fetch images, so the documented example body is accepted."""
    with SandboxServer(fetch_images=False, token_ttl=120) as sandbox:
        yield sandbox


@pytest.fixture
def oauth(server: SandboxServer) -> Iterator[SandboxServer]:
    server.reset()
    yield server
    server.reset()


def grant(**changes: Any) -> dict[str, Any]:
    """A valid client-credentials request body; a change to ``None`` removes the key."""
    body: dict[str, Any] = {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "store_id": STORE,
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def request_token(base_url: str, **changes: Any) -> requests.Response:
    return requests.post(f"{base_url}/v1/oauth/token", json=grant(**changes), timeout=5)


def access_token(base_url: str, **changes: Any) -> str:
    response = request_token(base_url, **changes)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def post_claim(base_url: str, token: str, body: Any = None, **headers: str) -> requests.Response:
    return requests.post(
        f"{base_url}/v1/claims/offline",
        json=DOCUMENTED_EXAMPLE if body is None else body,
        headers={"Authorization": f"Bearer {token}", **headers},
        timeout=5,
    )


def issued_entry(server: SandboxServer, token: str) -> dict[str, Any]:
    [entry] = [t for t in server.issued_tokens if t["token_last4"] == token[-4:]]
    return entry


# -- the token endpoint ----------------------------------------------------------------------


def test_token_issued_for_client_credentials(oauth: SandboxServer) -> None:
    response = request_token(oauth.url)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert ACCESS_TOKEN.match(body.pop("access_token"))
    assert body == {"token_type": "Bearer", "expires_in": 120, "scope": "write_claims"}


def test_token_scope_is_answered_space_separated(oauth: SandboxServer) -> None:
    scopes = ["read_claims", "manage_claims"]

    token = request_token(oauth.url, scopes=scopes).json()

    assert token["scope"] == "read_claims manage_claims"
    assert issued_entry(oauth, token["access_token"]) == {
        "token_last4": token["access_token"][-4:],
        "client_id": CLIENT_ID,
        "store_id": STORE,
        "scopes": scopes,
        "expired": False,
    }


@pytest.mark.parametrize(
    ("changes", "status", "error"),
    [
        ({"grant_type": "authorization_code"}, 400, "unsupported_grant_type"),
        ({"grant_type": None}, 400, "unsupported_grant_type"),
        ({"store_id": None}, 400, "invalid_request"),
        ({"store_id": "  "}, 400, "invalid_request"),
        ({"client_id": None}, 400, "invalid_request"),
        ({"client_id": "op_app_unknown"}, 401, "invalid_client"),
        ({"client_secret": "op_secret_wrong"}, 401, "invalid_client"),
        ({"client_secret": None}, 401, "invalid_client"),
        ({"scopes": "write_claims"}, 400, "invalid_scope"),
        ({"scopes": ["write_claims", 7]}, 400, "invalid_scope"),
        ({"scopes": ["write claims"]}, 400, "invalid_scope"),
    ],
)
def test_token_request_errors(oauth: SandboxServer, changes: dict, status: int, error: str) -> None:
    issued_before = len(oauth.issued_tokens)

    response = request_token(oauth.url, **changes)

    assert response.status_code == status
    assert response.json()["error"] == error
    assert set(response.json()) == {"error", "error_description"}
    assert len(oauth.issued_tokens) == issued_before


def test_token_request_must_be_json(oauth: SandboxServer) -> None:
    form = requests.post(f"{oauth.url}/v1/oauth/token", data=grant(), timeout=5)
    not_object = requests.post(f"{oauth.url}/v1/oauth/token", json=[grant()], timeout=5)
    wrong_method = requests.get(f"{oauth.url}/v1/oauth/token", timeout=5)

    assert (form.status_code, form.json()["error"]) == (400, "invalid_request")
    assert "application/json" in form.json()["error_description"]
    assert (not_object.status_code, not_object.json()["error"]) == (400, "invalid_request")
    assert (wrong_method.status_code, wrong_method.headers["Allow"]) == (405, "POST")


def test_token_endpoint_gets_no_fault(oauth: SandboxServer) -> None:
    oauth.set_faults(mode="error_500", times=1)

    token = request_token(oauth.url)

    assert token.status_code == 200
    # The one fault is still there for the next claim.
    claim = post_claim(oauth.url, token.json()["access_token"])
    assert (claim.status_code, oauth.received[-1].fault) == (500, "error_500")


def test_token_custom_clients_replace_the_default() -> None:
    with SandboxServer(fetch_images=False, oauth_clients={"op_app_x": "op_secret_x"}) as server:
        default = request_token(server.url)
        custom = request_token(server.url, client_id="op_app_x", client_secret="op_secret_x")

    assert default.status_code == 401
    assert custom.status_code == 200
    assert server.oauth_clients == {"op_app_x": "op_secret_x"}


# -- OAuth tokens on claims ------------------------------------------------------------------


@pytest.mark.parametrize("scopes", [None, ["manage_claims"], ["read_orders", "write_claims"]])
def test_claim_filed_with_oauth_token(oauth: SandboxServer, scopes: list[str] | None) -> None:
    token = access_token(oauth.url, scopes=scopes)

    response = post_claim(oauth.url, token)

    assert response.status_code == 201
    assert list(oauth.claims) == [response.json()["payload"]["sourceOrderId"]]


def test_claim_with_expired_token_is_401_invalid_token(oauth: SandboxServer) -> None:
    token = access_token(oauth.url)

    oauth.expire_tokens()
    response = post_claim(oauth.url, token)

    assert response.status_code == 401
    assert response.json() == {"status": "error", "message": "Access token expired"}
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert issued_entry(oauth, token)["expired"] is True
    assert oauth.claims == {}
    # A fresh token works again: the refresh-on-401 path.
    assert post_claim(oauth.url, access_token(oauth.url)).status_code == 201


def test_claim_with_token_past_its_ttl_is_expired() -> None:
    with SandboxServer(fetch_images=False, token_ttl=0) as server:
        token = access_token(server.url)
        response = post_claim(server.url, token)

    assert response.status_code == 401
    assert response.json()["message"] == "Access token expired"


def test_claim_for_another_store_is_403(oauth: SandboxServer) -> None:
    token = access_token(oauth.url, store_id="store_999")

    response = post_claim(oauth.url, token)

    assert response.status_code == 403
    assert response.json() == {
        "status": "error",
        "message": f"Token is not valid for store {STORE}",
    }
    assert oauth.claims == {}


def test_claim_store_is_checked_only_once_the_body_parsed(oauth: SandboxServer) -> None:
    token = access_token(oauth.url, store_id="store_999")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    response = requests.post(
        f"{oauth.url}/v1/claims/offline", data=b"{not json", headers=headers, timeout=5
    )

    assert response.status_code == 400


def test_claim_with_insufficient_scope_is_403(oauth: SandboxServer) -> None:
    token = access_token(oauth.url, scopes=["read_claims", "read_orders"])

    response = post_claim(oauth.url, token)

    assert response.status_code == 403
    assert response.json() == {"status": "error", "message": "Insufficient scope"}
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_claim_with_unknown_oauth_token_is_401(oauth: SandboxServer) -> None:
    response = post_claim(oauth.url, "op_at_" + "x" * 32)

    assert response.status_code == 401
    assert response.json()["message"] == "Invalid or missing bearer token"


def test_claim_static_token_is_valid_for_any_store(oauth: SandboxServer) -> None:
    response = post_claim(oauth.url, TOKEN, DOCUMENTED_EXAMPLE | {"storeId": "store_999"})

    assert response.status_code == 201


def test_claim_replay_needs_a_valid_token(oauth: SandboxServer) -> None:
    oauth.honour_idempotency = True
    token = access_token(oauth.url)
    first = post_claim(oauth.url, token, **{"Idempotency-Key": "oauth-key"})

    oauth.expire_tokens()
    expired = post_claim(oauth.url, token, **{"Idempotency-Key": "oauth-key"})
    replayed = post_claim(oauth.url, access_token(oauth.url), **{"Idempotency-Key": "oauth-key"})

    assert expired.status_code == 401
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json() == first.json()


# -- secrets stay out of the log -------------------------------------------------------------


def test_received_masks_client_secret_and_access_token(oauth: SandboxServer) -> None:
    token = access_token(oauth.url)
    post_claim(oauth.url, token)
    requests.post(f"{oauth.url}/v1/oauth/token", data=grant(), timeout=5)
    requests.post(
        f"{oauth.url}/v1/oauth/token", json=grant(), auth=(CLIENT_ID, CLIENT_SECRET), timeout=5
    )

    issued, claim, form, basic = oauth.received
    assert issued.body_json["client_secret"] == "***"
    assert issued.body_json["client_id"] == CLIENT_ID
    assert json.loads(issued.body_text)["client_secret"] == "***"
    assert issued.response_body["access_token"] == f"op_at_…{token[-4:]}"
    assert claim.headers["Authorization"] == f"Bearer op_at_…{token[-4:]}"
    assert "client_secret=***" in form.body_text
    assert basic.headers["Authorization"] == "Basic ***"
    logged = json.dumps([request.to_dict() for request in oauth.received])
    listed = requests.get(f"{oauth.url}/__sandbox__/received", timeout=5).text
    for text in (logged, listed):
        assert CLIENT_SECRET not in text
        assert token not in text
        assert token[6:-4] not in text


# -- control routes --------------------------------------------------------------------------


def test_control_tokens_lists_and_expires(oauth: SandboxServer) -> None:
    token = access_token(oauth.url, store_id="store_ctl")

    listed = requests.get(f"{oauth.url}/__sandbox__/tokens", timeout=5)
    expired = requests.delete(f"{oauth.url}/__sandbox__/tokens", timeout=5)

    mine = [entry for entry in listed.json() if entry["token_last4"] == token[-4:]]
    assert mine == [
        {
            "token_last4": token[-4:],
            "client_id": CLIENT_ID,
            "store_id": "store_ctl",
            "scopes": ["write_claims"],
            "expired": False,
        }
    ]
    assert token not in listed.text
    assert expired.status_code == 200
    assert all(entry["expired"] for entry in expired.json())
    assert post_claim(oauth.url, token).json()["message"] == "Access token expired"
