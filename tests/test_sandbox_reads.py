"""The sandbox's read endpoints, claim states and webhooks, over real HTTP."""

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from sandbox import SandboxServer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "tests" / "data" / "offline_claim_example.json").read_text())
AUTH = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """A sandbox that does not fetch images, so the documented example body is accepted."""
    with SandboxServer(fetch_images=False) as sandbox:
        yield sandbox


@pytest.fixture
def api(server: SandboxServer) -> Iterator[SandboxServer]:
    server.reset()
    yield server
    server.reset()


def file_claim(api: SandboxServer, *, email: str = "customer@example.com", store="store_123"):
    body = json.loads(json.dumps(EXAMPLE))
    body["customer"]["email"] = email
    body["storeId"] = store
    response = requests.post(f"{api.url}/v1/claims/offline", json=body, headers=AUTH, timeout=5)
    assert response.status_code == 201
    return response.json()["payload"]["sourceOrderId"]


def listing(api: SandboxServer, **params) -> requests.Response:
    return requests.get(f"{api.url}/v1/claims", params=params, headers=AUTH, timeout=5)


class Receiver:
    """A webhook endpoint on a free port that records what it is sent."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hook"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.httpd.shutdown()
    hook.httpd.server_close()


def test_a_filed_claim_is_listed_in_the_documented_shape(api):
    number = file_claim(api)

    body = listing(api).json()

    assert set(body) == {"edges", "pageInfo"}
    assert set(body["pageInfo"]) == {"startCursor", "endCursor", "hasNextPage", "hasPreviousPage"}
    node = body["edges"][0]["node"]
    assert node["sourceOrderId"] == number
    assert node["storeId"] == "store_123"
    assert node["authorEmail"] == "customer@example.com"
    assert node["authorName"] == "John Smith"
    assert node["claimDescription"] == EXAMPLE["item"]["details"]
    assert node["claimState"] == "NEW"
    assert re.fullmatch(r"c[a-z0-9]{24}", node["id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", node["createdAt"])


def test_the_filing_answer_does_not_carry_the_claim_id(api):
    body = json.loads(json.dumps(EXAMPLE))
    answer = requests.post(f"{api.url}/v1/claims/offline", json=body, headers=AUTH, timeout=5)

    assert "id" not in answer.json()["payload"]


def test_listing_pages_newest_first_and_new_claims_do_not_shift_the_pages(api):
    numbers = [file_claim(api, email=f"c{i}@example.com") for i in range(5)]

    first = listing(api, size=2).json()
    file_claim(api, email="late@example.com")  # filed while the client pages through
    second = listing(api, size=2, cursor=first["pageInfo"]["endCursor"]).json()
    third = listing(api, size=2, cursor=second["pageInfo"]["endCursor"]).json()

    seen = [e["node"]["sourceOrderId"] for page in (first, second, third) for e in page["edges"]]
    assert seen == numbers[::-1]
    assert third["pageInfo"]["hasNextPage"] is False
    assert first["pageInfo"]["hasNextPage"] is True


def test_listing_has_a_default_page_size_caps_it_and_ignores_unknown_parameters(api):
    for i in range(12):
        file_claim(api, email=f"c{i}@example.com")

    assert len(listing(api).json()["edges"]) == 10
    assert len(listing(api, size=500, colour="red").json()["edges"]) == 12
    assert listing(api, cursor="not-a-cursor").status_code == 400


def test_listing_parameter_names_are_the_servers_choice(api, monkeypatch):
    monkeypatch.setattr(api, "listing_params", ("limit", "after"))
    for i in range(3):
        file_claim(api, email=f"c{i}@example.com")
    first = listing(api, limit=1).json()
    ignored = listing(api, size=1).json()

    assert len(first["edges"]) == 1
    assert len(ignored["edges"]) == 3


def test_an_oauth_token_lists_only_its_stores_claims(api):
    file_claim(api, store="store_123")
    file_claim(api, store="store_999")
    grant = {"grant_type": "client_credentials", "client_id": "op_app_sandbox"}
    grant |= {"client_secret": "op_secret_sandbox", "store_id": "store_123"}
    token = requests.post(f"{api.url}/v1/oauth/token", json=grant, timeout=5).json()

    body = requests.get(
        f"{api.url}/v1/claims",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=5,
    ).json()

    assert [e["node"]["storeId"] for e in body["edges"]] == ["store_123"]
    assert len(listing(api).json()["edges"]) == 2  # the static token sees every store


def test_reads_need_a_bearer_token(api):
    file_claim(api)

    assert requests.get(f"{api.url}/v1/claims", timeout=5).status_code == 401


def test_an_orders_claims_are_a_plain_array_with_the_extra_fields(api):
    number = file_claim(api)

    found = requests.get(f"{api.url}/v1/orders/{number}/claims", headers=AUTH, timeout=5)
    missing = requests.get(f"{api.url}/v1/orders/SB-0000-0000/claims", headers=AUTH, timeout=5)

    assert isinstance(found.json(), list) and len(found.json()) == 1
    claim = found.json()[0]
    assert claim["sourceOrderId"] == number
    assert claim["resolutionRequested"] == EXAMPLE["resolution"]
    assert {"claimFiledFrom", "customerId", "resolutionDate"} <= set(claim)
    assert missing.status_code == 404


def test_a_state_change_shows_in_both_read_endpoints(api):
    number = file_claim(api)

    changed = requests.post(
        f"{api.url}/__sandbox__/claims/{number}/state",
        json={"state": "DENIED", "reason": "NOT_COVERED"},
        timeout=5,
    )

    assert changed.status_code == 200
    claim = requests.get(f"{api.url}/v1/orders/{number}/claims", headers=AUTH, timeout=5).json()[0]
    assert claim["claimState"] == "DENIED"
    assert claim["claimResolutions"][-1]["resolutionType"] == "NOT_COVERED"
    assert claim["resolutionDate"] is not None
    assert listing(api).json()["edges"][0]["node"]["claimState"] == "DENIED"


@pytest.mark.parametrize(
    "change",
    [{"state": "MAYBE"}, {"state": "APPROVED", "resolution": "CASH"}, {"reason": "OTHER"}],
)
def test_undocumented_states_are_refused(api, change):
    number = file_claim(api)

    response = requests.post(f"{api.url}/__sandbox__/claims/{number}/state", json=change, timeout=5)

    assert response.status_code == 400


def test_app_webhooks_carry_the_secret_and_the_documented_camelcase_body(api, receiver):
    api.set_webhook(url=receiver.url, secret="s3cret", style="app")
    number = file_claim(api)
    api.wait_for_webhooks()

    result = api.set_claim_state(number, "APPROVED", resolution="RESHIP")

    (created_headers, created), (headers, approved) = receiver.received
    assert headers["x-webhook-secret"] == "s3cret"
    assert created["topic"] == "claim/created"
    assert approved["topic"] == "claim/approved"
    assert set(approved) == {"topic", "body"}  # no event id in this spelling
    assert approved["body"]["claimId"] == result["claim"]["id"]
    assert approved["body"]["storeId"] == "store_123"
    assert approved["body"]["resolutions"][0]["type"] == "RESHIP"
    assert number not in json.dumps(approved)  # the app spelling names no claim number
    assert [d["status"] for d in result["webhooks"]] == [200]


def test_merchant_webhooks_are_envelopes_repeated_with_one_event_id(api, receiver):
    api.set_webhook(url=receiver.url, secret="s3cret", style="merchant", repeat=2)
    number = file_claim(api)
    api.wait_for_webhooks()

    requests.post(
        f"{api.url}/__sandbox__/claims/{number}/state",
        json={"state": "DENIED", "reason": "POTENTIAL_FRAUD"},
        timeout=5,
    )

    denied = [body for _, body in receiver.received if body["topic"] == "claim.denied"]
    assert len(denied) == 2 and denied[0] == denied[1]
    assert set(denied[0]) == {"id", "topic", "created_at", "body"}
    assert denied[0]["body"]["source_order_id"] == number
    assert denied[0]["body"]["claim_state"] == "DENIED"
    assert denied[0]["body"]["resolutions"][0]["type"] == "POTENTIAL_FRAUD"
    recorded = requests.get(f"{api.url}/__sandbox__/webhooks", timeout=5).json()
    assert [d["topic"] for d in recorded] == ["claim.created"] * 2 + ["claim.denied"] * 2


def test_lookup_faults_fault_the_reads_only(api):
    number = file_claim(api)
    api.set_lookup_faults(mode="error_503", times=1)

    assert listing(api).status_code == 503
    assert listing(api).status_code == 200
    assert api.claims[number]  # filing was not faulted


def test_idempotency_can_be_switched_on_over_http(api):
    requests.put(f"{api.url}/__sandbox__/idempotency", json={"honour": True}, timeout=5)
    headers = AUTH | {"Idempotency-Key": "k-1"}
    answers = [
        requests.post(f"{api.url}/v1/claims/offline", json=EXAMPLE, headers=headers, timeout=5)
        for _ in "ab"
    ]

    assert answers[1].headers["Idempotent-Replayed"] == "true"
    assert len(api.claims) == 1


def test_the_sandbox_shares_nothing_with_the_portal():
    """It stands in for an outside party: no import of kiosk, no file of kiosk's read."""
    for path in (ROOT / "sandbox").glob("*.py"):
        source = path.read_text()
        assert not re.search(r"^(from|import) kiosk|[\"']kiosk[\"']|kiosk/", source, re.M), path
