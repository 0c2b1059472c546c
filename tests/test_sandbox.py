"""The sandbox (strict fake of POST /v1/claims/offline), exercised over real HTTP."""

from __future__ import annotations

import hashlib
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from sandbox import FaultPlan, SandboxServer

REPO_ROOT = Path(__file__).resolve().parent.parent
TOKEN = "sandbox-token"
SANDBOX_ID = re.compile(r"^SB-\d{4}-\d{4}$")

# The example request body from create-offline-claim.md, verbatim.
DOCUMENTED_EXAMPLE: dict[str, Any] = {
    "customer": {"email": "customer@example.com", "phoneNumber": "+1234567890"},
    "item": {
        "sourceProductId": "product_123",
        "sourceVariantId": "variant_123",
        "name": "Product Name",
        "images": ["https://example.com/image1.jpg", "https://example.com/image2.jpg"],
        "sourceItemId": "item_123",
        "sku": "SKU-12345",
        "details": "Product details and description of the issue",
        "productImage": "https://example.com/product.jpg",
        "price": 99.99,
        "subIssueId": "sub_issue_123",
    },
    "warranty": {
        "dateOfPurchase": "2024-01-15T00:00:00.000Z",
        "receiptRequired": True,
        "receiptImages": ["https://example.com/receipt.jpg"],
        "warrantyPeriod": "P1Y",
        "productDescription": "Description of the product and its condition",
    },
    "shippingAddress": {
        "firstName": "John",
        "lastName": "Smith",
        "address1": "123 Main St",
        "address2": "Apt 1",
        "city": "New York",
        "zip": "10001",
        "country": "United States",
        "countryAbr": "US",
        "state": "NY",
        "stateAbr": "NY",
        "lat": 40.7128,
        "lng": -74.006,
        "addressOrigin": "CONCIERGE",
    },
    "storeId": "store_123",
    "signature": "https://example.com/signature.png",
    "salesChannel": "IN_STORE",
    "claimCategory": "WARRANTY",
    "issueType": "DEFECTIVE_ITEM",
    "resolution": "REFUND",
    "claimFiledFrom": "EXTERNAL",
    "options": {"fromValet": False, "requireCustomerSignature": False},
}


def _image_bytes(image_format: str, color: str) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, format=image_format)
    return buffer.getvalue()


class ImageHost:
    """A tiny local web server standing in for the storage the claim's images live on."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {
            "/image1.jpg": ("image/jpeg", _image_bytes("JPEG", "red")),
            "/image2.jpg": ("image/jpeg", _image_bytes("JPEG", "green")),
            "/product.jpg": ("image/jpeg", _image_bytes("JPEG", "blue")),
            "/receipt.jpg": ("image/jpeg", _image_bytes("JPEG", "white")),
            "/signature.png": ("image/png", _image_bytes("PNG", "black")),
            "/notes.txt": ("text/plain", b"this is not an image"),
        }
        self.requested: list[str] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.requested.append(self.path)
                content_type, content = host.files.get(self.path, ("text/plain", b""))
                self.send_response(200 if self.path in host.files else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def sha256(self, path: str) -> str:
        return hashlib.sha256(self.files[path][1]).hexdigest()


@pytest.fixture(scope="module")
def image_host() -> Iterator[ImageHost]:
    host = ImageHost()
    thread = threading.Thread(target=host.httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield host
    host.httpd.shutdown()
    host.httpd.server_close()
    thread.join()


@pytest.fixture
def claim_body(image_host: ImageHost) -> dict[str, Any]:
    """The documented example body, its images served by the local image host."""
    image_host.requested.clear()
    return json.loads(json.dumps(DOCUMENTED_EXAMPLE).replace("https://example.com", image_host.url))


def post_claim(
    base_url: str, body: Any, *, token: str | None = TOKEN, timeout: float = 5
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.post(
        f"{base_url}/v1/claims/offline", json=body, headers=headers, timeout=timeout
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- accepted claims -------------------------------------------------------------------------


def test_claim_valid_body_is_filed_with_sandbox_id(
    sandbox: SandboxServer, claim_body: dict
) -> None:
    response = post_claim(sandbox.url, claim_body)

    assert response.status_code == 201
    assert response.headers["X-OrderProtection-Sandbox"] == "true"
    body = response.json()
    assert body["status"] == "ok"
    source_order_id = body["payload"].pop("sourceOrderId")
    assert SANDBOX_ID.match(source_order_id)
    expected_echo = {k: v for k, v in claim_body.items() if k not in ("claimFiledFrom", "options")}
    assert body["payload"] == expected_echo
    assert sandbox.claims == {source_order_id: claim_body}


def test_claim_ids_are_unique(sandbox: SandboxServer, claim_body: dict) -> None:
    ids = {post_claim(sandbox.url, claim_body).json()["payload"]["sourceOrderId"] for _ in range(5)}

    assert len(ids) == 5
    assert set(sandbox.claims) == ids


def test_claim_fetched_images_match_served_bytes(
    sandbox: SandboxServer, claim_body: dict, image_host: ImageHost
) -> None:
    post_claim(sandbox.url, claim_body)

    fetched = sandbox.received[-1].fetched_images
    expected_paths = ["/image1.jpg", "/image2.jpg", "/product.jpg", "/receipt.jpg"]
    expected_paths.append("/signature.png")
    assert fetched == {image_host.url + path: image_host.sha256(path) for path in expected_paths}


def test_claim_empty_signature_is_accepted_without_fetching(
    sandbox: SandboxServer, claim_body: dict, image_host: ImageHost
) -> None:
    claim_body["signature"] = ""

    response = post_claim(sandbox.url, claim_body)

    assert response.status_code == 201
    assert response.json()["payload"]["signature"] == ""
    assert "/signature.png" not in image_host.requested


def test_claim_without_image_fetching_answers_configured_status(claim_body: dict) -> None:
    claim_body["item"]["images"] = ["http://127.0.0.1:9/nowhere.jpg"]

    with SandboxServer(fetch_images=False, success_status=200, tokens=("other",)) as server:
        response = post_claim(server.url, claim_body, token="other")

    assert response.status_code == 200
    assert server.received[-1].fetched_images == {}


# -- rejected claims -------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_claim_without_valid_token_is_unauthorized(
    sandbox: SandboxServer, claim_body: dict, token: str | None
) -> None:
    response = post_claim(sandbox.url, claim_body, token=token)

    assert response.status_code == 401
    assert response.json() == {"status": "error", "message": "Invalid or missing bearer token"}
    assert sandbox.claims == {}


def test_claim_missing_required_key_names_it(sandbox: SandboxServer, claim_body: dict) -> None:
    del claim_body["storeId"]

    response = post_claim(sandbox.url, claim_body)

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error"
    assert body["field"] == "storeId"
    assert "storeId" in body["message"]
    assert body["errors"] == [{"field": "storeId", "message": body["message"]}]


def test_claim_bad_enum_names_field(sandbox: SandboxServer, claim_body: dict) -> None:
    claim_body["issueType"] = "BROKEN"

    body = post_claim(sandbox.url, claim_body).json()

    assert body["field"] == "issueType"
    assert "DEFECTIVE_ITEM" in body["message"]


def test_claim_unknown_key_is_rejected(sandbox: SandboxServer, claim_body: dict) -> None:
    claim_body["customer"]["nickname"] = "Johnny"

    response = post_claim(sandbox.url, claim_body)

    assert response.status_code == 400
    assert response.json()["field"] == "customer.nickname"


def test_claim_reports_every_schema_error(sandbox: SandboxServer, claim_body: dict) -> None:
    claim_body["shippingAddress"]["lat"] = "40.7"
    claim_body["item"]["images"][1] = "not a url"
    del claim_body["resolution"]

    body = post_claim(sandbox.url, claim_body).json()

    fields = [error["field"] for error in body["errors"]]
    assert fields == ["resolution", "item.images[1]", "shippingAddress.lat"]
    assert body["field"] == "resolution"


@pytest.mark.parametrize(
    ("content_type", "data"),
    [("text/plain", b"{}"), ("application/json", b"{not json"), ("application/json", b"[]")],
)
def test_claim_non_json_body_is_rejected(
    sandbox: SandboxServer, content_type: str, data: bytes
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type}

    response = requests.post(
        f"{sandbox.url}/v1/claims/offline", data=data, headers=headers, timeout=5
    )

    assert response.status_code == 400
    assert response.json()["status"] == "error"
    assert response.json()["message"]


def test_claim_missing_image_names_field(
    sandbox: SandboxServer, claim_body: dict, image_host: ImageHost
) -> None:
    missing = f"{image_host.url}/missing.jpg"
    claim_body["warranty"]["receiptImages"] = [missing]

    response = post_claim(sandbox.url, claim_body)

    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "warranty.receiptImages[0]"
    assert body["message"] == f"could not fetch image at {missing}: HTTP 404"
    assert sandbox.claims == {}


def test_claim_non_image_is_rejected(
    sandbox: SandboxServer, claim_body: dict, image_host: ImageHost
) -> None:
    claim_body["item"]["productImage"] = f"{image_host.url}/notes.txt"

    body = post_claim(sandbox.url, claim_body).json()

    assert body["field"] == "item.productImage"
    assert body["message"].endswith(": not an image")


# -- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "status"), [("error_500", 500), ("error_502", 502), ("error_503", 503)]
)
def test_fault_error_mode_answers_json_error(
    sandbox: SandboxServer, claim_body: dict, mode: str, status: int
) -> None:
    sandbox.set_faults(mode=mode)

    response = post_claim(sandbox.url, claim_body)

    assert response.status_code == status
    assert response.json()["status"] == "error"
    assert sandbox.claims == {}
    assert sandbox.received[-1].fault == mode


@pytest.mark.parametrize("retry_after", [7, None])
def test_fault_rate_limit_sends_retry_after_when_set(
    sandbox: SandboxServer, claim_body: dict, retry_after: int | None
) -> None:
    sandbox.set_faults(FaultPlan(mode="rate_limit_429", retry_after=retry_after))

    response = post_claim(sandbox.url, claim_body)

    assert response.status_code == 429
    assert response.headers.get("Retry-After") == (None if retry_after is None else "7")


def test_fault_hang_never_answers(sandbox: SandboxServer, claim_body: dict) -> None:
    sandbox.set_faults(mode="hang", hang_seconds=0.5)

    with pytest.raises(requests.ReadTimeout):
        post_claim(sandbox.url, claim_body, timeout=0.2)

    recorded = sandbox.received[-1]
    assert (recorded.fault, recorded.response_status, recorded.response_body) == (
        "hang",
        None,
        None,
    )


def test_fault_drop_closes_connection(sandbox: SandboxServer, claim_body: dict) -> None:
    sandbox.set_faults(mode="drop")

    with pytest.raises(requests.ConnectionError):
        post_claim(sandbox.url, claim_body)

    assert sandbox.received[-1].response_status is None


def test_fault_malformed_json_answers_unparseable_200(
    sandbox: SandboxServer, claim_body: dict
) -> None:
    sandbox.set_faults(mode="malformed_json")

    response = post_claim(sandbox.url, claim_body)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        response.json()


def test_fault_latency_delays_normal_answers(sandbox: SandboxServer, claim_body: dict) -> None:
    sandbox.set_faults(latency_ms=150)

    started = time.monotonic()
    response = post_claim(sandbox.url, claim_body)

    assert time.monotonic() - started >= 0.15
    assert response.status_code == 201


def test_fault_times_expires_after_n_requests(sandbox: SandboxServer, claim_body: dict) -> None:
    sandbox.set_faults(mode="error_503", times=2)

    statuses = [post_claim(sandbox.url, claim_body).status_code for _ in range(3)]

    assert statuses == [503, 503, 201]


def test_fault_probability_is_reproducible_with_seed(sandbox: SandboxServer) -> None:
    def statuses() -> list[int]:
        sandbox.set_faults(mode="error_500", probability=0.5, seed=42)
        return [post_claim(sandbox.url, {}, token=None).status_code for _ in range(16)]

    first = statuses()

    assert set(first) == {500, 401}
    assert statuses() == first


@pytest.mark.parametrize(
    "fields", [{"mode": "explode"}, {"probability": 1.5}, {"times": -1}, {"latency_ms": "5"}]
)
def test_fault_plan_rejects_bad_values(fields: dict) -> None:
    with pytest.raises(ValueError):
        FaultPlan(**fields)


# -- routing and control endpoints -----------------------------------------------------------


def test_routing_unknown_path_and_wrong_method(sandbox: SandboxServer) -> None:
    missing = requests.post(f"{sandbox.url}/v1/claims/online", json={}, timeout=5)
    wrong_method = requests.get(f"{sandbox.url}/v1/claims/offline", timeout=5)

    assert missing.status_code == 404
    assert missing.json()["status"] == "error"
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "POST"
    assert [r.response_status for r in sandbox.received] == [404, 405]


def test_control_health(sandbox: SandboxServer) -> None:
    response = requests.get(f"{sandbox.url}/__sandbox__/health", timeout=5)

    assert response.json() == {"status": "ok", "sandbox": True}
    assert response.headers["X-OrderProtection-Sandbox"] == "true"
    assert sandbox.received == []


def test_control_faults_put_and_get(sandbox: SandboxServer, claim_body: dict) -> None:
    plan = {"mode": "rate_limit_429", "retry_after": 3, "times": 1}

    put = requests.put(f"{sandbox.url}/__sandbox__/faults", json=plan, timeout=5)
    got = requests.get(f"{sandbox.url}/__sandbox__/faults", timeout=5).json()

    assert put.status_code == 200
    assert got == FaultPlan(**plan).to_dict()
    assert post_claim(sandbox.url, claim_body).status_code == 429
    assert post_claim(sandbox.url, claim_body).status_code == 201


@pytest.mark.parametrize("plan", [{"mode": "explode"}, {"mode": "drop", "colour": "red"}, []])
def test_control_faults_put_rejects_bad_plan(sandbox: SandboxServer, plan: Any) -> None:
    response = requests.put(f"{sandbox.url}/__sandbox__/faults", json=plan, timeout=5)

    assert response.status_code == 400
    assert response.json()["status"] == "error"
    assert sandbox.faults == FaultPlan()


def test_control_received_lists_and_resets(sandbox: SandboxServer, claim_body: dict) -> None:
    post_claim(sandbox.url, claim_body)
    sandbox.set_faults(mode="error_503")

    listed = requests.get(f"{sandbox.url}/__sandbox__/received", timeout=5).json()
    deleted = requests.delete(f"{sandbox.url}/__sandbox__/received", timeout=5)

    assert [entry["response_status"] for entry in listed] == [201]
    assert listed[0]["body_json"] == claim_body
    assert SANDBOX_ID.match(listed[0]["response_body"]["payload"]["sourceOrderId"])
    assert deleted.status_code == 200
    assert (sandbox.received, sandbox.claims, sandbox.faults) == ([], {}, FaultPlan())


# -- command line ----------------------------------------------------------------------------


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_claims_and_stops_cleanly(claim_body: dict, stop_signal: signal.Signals) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "sandbox", "--port", str(port), "--token", "cli-token"]
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(f"{url}/__sandbox__/health", timeout=1).raise_for_status()
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)

        response = post_claim(url, claim_body, token="cli-token")

        assert response.status_code == 201
    finally:
        process.send_signal(stop_signal)
        stdout, stderr = process.communicate(timeout=5)

    assert process.returncode == 0
    assert f"OrderProtection sandbox listening on {url} (token: cli-token)" in stdout
    source_order_id = response.json()["payload"]["sourceOrderId"]
    assert f"POST /v1/claims/offline -> 201 {source_order_id}" in stderr
    assert "cli-token" not in stderr
