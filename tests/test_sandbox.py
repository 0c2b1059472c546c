"""The sandbox (strict fake of POST /v1/claims/offline), exercised over real HTTP."""

from __future__ import annotations

import hashlib
import json
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import nullcontext, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from sandbox import FaultPlan, SandboxServer
from sandbox.idempotency import IdempotencyStore

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
    sandbox.set_faults(mode="hang", hang_seconds=6.0)

    with pytest.raises(requests.ReadTimeout):  # late enough that a loaded machine recorded it
        post_claim(sandbox.url, claim_body, timeout=2.0)

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


def test_fault_mix_draws_each_mode_and_applies_after_filing_ones_late(
    sandbox: SandboxServer, claim_body: dict
) -> None:
    sandbox.set_faults(mix=("error_502", "error_503@after_filing"), seed=7)

    statuses = [post_keyed(sandbox.url, claim_body, f"key-{n}").status_code for n in range(12)]

    assert set(statuses) == {502, 503}
    # Only the after-filing draws filed a claim: their answers were lost.
    assert len(sandbox.claims) == statuses.count(503)
    assert FaultPlan.from_dict(sandbox.faults.to_dict()) == sandbox.faults


def test_fault_mix_with_probability_leaves_the_rest_alone(sandbox: SandboxServer) -> None:
    sandbox.set_faults(mix=("error_500", "rate_limit_429"), probability=0.5, seed=3)

    statuses = [post_claim(sandbox.url, {}, token=None).status_code for _ in range(20)]

    assert set(statuses) == {500, 429, 401}


# -- routing and control endpoints -----------------------------------------------------------


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


# -- command line: `make run` starts and stops the sandbox ----------------------------------


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


# -- Idempotency-Key -------------------------------------------------------------------------


def post_keyed(
    base_url: str,
    body: Any,
    key: str,
    *,
    token: str = TOKEN,
    header: str = "Idempotency-Key",
    timeout: float = 5,
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", header: key}
    return requests.post(
        f"{base_url}/v1/claims/offline", json=body, headers=headers, timeout=timeout
    )


@pytest.mark.usefixtures("sandbox_honouring_keys")
def test_idempotency_same_key_files_one_claim_and_replays_the_answer(
    sandbox: SandboxServer, claim_body: dict
) -> None:
    first = post_keyed(sandbox.url, claim_body, "key-1")
    again = post_keyed(sandbox.url, claim_body, "key-1", header="idempotency-KEY")

    assert (first.status_code, again.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    source_order_id = first.json()["payload"]["sourceOrderId"]
    assert sandbox.claims == {source_order_id: claim_body}
    assert sandbox.claim_keys == {source_order_id: "key-1"}
    assert [(r.idempotency_key, r.replayed) for r in sandbox.received] == [
        ("key-1", False),
        ("key-1", True),
    ]


@pytest.mark.usefixtures("sandbox_honouring_keys")
def test_idempotency_replay_keeps_the_original_status(
    sandbox: SandboxServer, claim_body: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(sandbox, "success_status", 200)
        first = post_keyed(sandbox.url, claim_body, "key-200")

    replayed = post_keyed(sandbox.url, claim_body, "key-200")
    assert replayed.status_code == 200
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json() == first.json()
    assert len(sandbox.claims) == 1


@pytest.mark.usefixtures("sandbox_honouring_keys")
def test_idempotency_concurrent_requests_with_one_key_file_one_claim(
    sandbox: SandboxServer, claim_body: dict
) -> None:
    sandbox.set_faults(latency_ms=100)
    barrier = threading.Barrier(2)
    responses: list[requests.Response] = []

    def send() -> None:
        barrier.wait()
        responses.append(post_keyed(sandbox.url, claim_body, "key-race"))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert [r.status_code for r in responses] == [201, 201]
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in responses) == ["", "true"]
    assert responses[0].json() == responses[1].json()
    assert len(sandbox.claims) == 1


@pytest.mark.usefixtures("sandbox_honouring_keys")
def test_idempotency_key_reused_with_another_body_is_422(
    sandbox: SandboxServer, claim_body: dict
) -> None:
    first = post_keyed(sandbox.url, claim_body, "key-2")
    changed = post_keyed(sandbox.url, claim_body | {"resolution": "RESHIP"}, "key-2")
    same_again = post_keyed(sandbox.url, claim_body, "key-2")

    assert changed.status_code == 422
    assert changed.json() == {
        "status": "error",
        "message": "Idempotency-Key reused with a different request body",
    }
    assert "Idempotent-Replayed" not in changed.headers
    assert same_again.json() == first.json()
    assert len(sandbox.claims) == 1


@pytest.mark.usefixtures("sandbox_honouring_keys")
def test_idempotency_key_order_of_json_keys_does_not_matter(
    sandbox: SandboxServer, claim_body: dict
) -> None:
    first = post_keyed(sandbox.url, claim_body, "key-order")
    reordered = dict(reversed(list(claim_body.items())))

    again = post_keyed(sandbox.url, reordered, "key-order")

    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


@pytest.mark.usefixtures("sandbox_honouring_keys")
def test_idempotency_400_stores_nothing_so_a_corrected_body_is_filed(
    sandbox: SandboxServer, claim_body: dict
) -> None:
    broken = {k: v for k, v in claim_body.items() if k != "storeId"}

    rejected = post_keyed(sandbox.url, broken, "key-3")
    corrected = post_keyed(sandbox.url, claim_body, "key-3")

    assert rejected.status_code == 400
    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected.headers
    assert sandbox.claim_keys == {corrected.json()["payload"]["sourceOrderId"]: "key-3"}


@pytest.mark.usefixtures("sandbox_honouring_keys")
def test_idempotency_auth_is_checked_before_replay(
    sandbox: SandboxServer, claim_body: dict
) -> None:
    post_keyed(sandbox.url, claim_body, "key-4")

    response = post_keyed(sandbox.url, claim_body, "key-4", token="wrong-token")

    assert response.status_code == 401
    assert "Idempotent-Replayed" not in response.headers


@pytest.mark.usefixtures("sandbox_honouring_keys")
@pytest.mark.parametrize("mode", ["error_503", "drop", "rate_limit_429"])
def test_idempotency_fault_before_filing_stores_nothing(
    sandbox: SandboxServer, claim_body: dict, mode: str
) -> None:
    sandbox.set_faults(mode=mode, times=1)

    with pytest.raises(requests.ConnectionError) if mode == "drop" else nullcontext():
        post_keyed(sandbox.url, claim_body, "key-5")
    assert sandbox.claims == {}
    retry = post_keyed(sandbox.url, claim_body, "key-5")

    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry.headers
    assert list(sandbox.claim_keys.values()) == ["key-5"]


def test_idempotency_without_key_files_every_claim(
    sandbox: SandboxServer, claim_body: dict
) -> None:
    ids = [post_claim(sandbox.url, claim_body).json()["payload"]["sourceOrderId"] for _ in "ab"]

    assert sandbox.claim_keys == dict.fromkeys(ids)
    assert [r.idempotency_key for r in sandbox.received] == [None, None]


def test_idempotency_is_not_honoured_by_default_so_a_repeat_files_twice(
    sandbox: SandboxServer, claim_body: dict
) -> None:
    """As the real API documents no idempotency key, the sandbox acts on none."""
    responses = [post_keyed(sandbox.url, claim_body, "key-6") for _ in "ab"]

    assert [r.status_code for r in responses] == [201, 201]
    assert all("Idempotent-Replayed" not in r.headers for r in responses)
    assert len(sandbox.claims) == 2
    assert list(sandbox.claim_keys.values()) == ["key-6", "key-6"]
    assert [r.idempotency_key for r in sandbox.received] == ["key-6", "key-6"]


@pytest.mark.usefixtures("sandbox_honouring_keys")
@pytest.mark.parametrize(("key", "message"), [("", "must not be empty"), ("k" * 256, "255")])
def test_idempotency_unusable_key_is_400(
    sandbox: SandboxServer, claim_body: dict, key: str, message: str
) -> None:
    response = post_keyed(sandbox.url, claim_body, key)

    assert response.status_code == 400
    assert message in response.json()["message"]
    assert sandbox.claims == {}


@pytest.mark.usefixtures("sandbox_honouring_keys")
def test_idempotency_reset_forgets_stored_answers_and_keys(
    sandbox: SandboxServer, claim_body: dict
) -> None:
    post_keyed(sandbox.url, claim_body, "key-7")

    sandbox.reset()
    assert sandbox.honour_idempotency is False  # back to the default, as documented
    sandbox.honour_idempotency = True
    fresh = post_keyed(sandbox.url, claim_body, "key-7")

    assert "Idempotent-Replayed" not in fresh.headers
    assert sandbox.claim_keys == {fresh.json()["payload"]["sourceOrderId"]: "key-7"}


def test_idempotency_waiting_for_a_busy_key_ends_when_stopping() -> None:
    store = IdempotencyStore()
    stopping = threading.Event()
    waited: list[bool] = []

    def wait_for_key() -> None:
        with store.hold("busy", stopping) as held:
            waited.append(held)

    with store.hold("busy", stopping):
        waiter = threading.Thread(target=wait_for_key)
        waiter.start()
        time.sleep(0.1)
        assert waited == []
        stopping.set()
        waiter.join(timeout=1)

    assert waited == [False]


# -- faults after filing ---------------------------------------------------------------------


@pytest.mark.usefixtures("sandbox_honouring_keys")
@pytest.mark.parametrize("mode", ["drop", "hang", "error_500", "malformed_json"])
def test_fault_after_filing_loses_the_answer_and_the_retry_replays_it(
    sandbox: SandboxServer, claim_body: dict, mode: str
) -> None:
    # No ``times``: the fault hits every filed claim, but replays file nothing.
    # The client gives up well before the hang ends, and late enough that a loaded
    # machine has filed the claim by then (0.2 s was not, with three test passes at once).
    sandbox.set_faults(mode=mode, after_filing=True, hang_seconds=6.0)

    try:
        lost = post_keyed(sandbox.url, claim_body, "key-8", timeout=3.0)
    except requests.RequestException:
        lost = None
    [source_order_id] = sandbox.claims
    retry = post_keyed(sandbox.url, claim_body, "key-8")

    if mode in ("drop", "hang"):
        assert lost is None
    else:
        assert lost is not None and lost.status_code in (500, 200)
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["payload"]["sourceOrderId"] == source_order_id
    assert sandbox.claim_keys == {source_order_id: "key-8"}
    assert [r.fault for r in sandbox.received] == [mode, "none"]


@pytest.mark.usefixtures("sandbox_honouring_keys")
def test_fault_after_filing_spares_rejected_requests(
    sandbox: SandboxServer, claim_body: dict
) -> None:
    sandbox.set_faults(mode="error_500", after_filing=True, times=1)

    rejected = post_claim(sandbox.url, {k: v for k, v in claim_body.items() if k != "storeId"})
    lost = post_claim(sandbox.url, claim_body)
    normal = post_claim(sandbox.url, claim_body)

    assert [rejected.status_code, lost.status_code, normal.status_code] == [400, 500, 201]
    assert len(sandbox.claims) == 2


# -- robustness ------------------------------------------------------------------------------


def test_client_gone_before_the_answer_leaves_no_traceback(
    sandbox: SandboxServer, claim_body: dict, capfd: pytest.CaptureFixture[str]
) -> None:
    sandbox.set_faults(latency_ms=150)
    data = json.dumps(claim_body).encode()
    request = (
        f"POST /v1/claims/offline HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode() + data

    with socket.create_connection(("127.0.0.1", sandbox.port)) as client:
        client.sendall(request)
        # Close with a reset, so the sandbox's reply fails on write.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    deadline = time.monotonic() + 5
    while not sandbox.received and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)

    assert sandbox.received[-1].response_status == 201
    assert requests.get(f"{sandbox.url}/__sandbox__/health", timeout=5).ok
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err
    assert "Exception occurred" not in captured.err


@pytest.mark.parametrize(
    "plan", [{"mode": "hang", "hang_seconds": 30}, {"latency_ms": 30_000}], ids=["hang", "latency"]
)
def test_stop_releases_waiting_requests_promptly(claim_body: dict, plan: dict) -> None:
    server = SandboxServer(fetch_images=False).start()
    server.set_faults(**plan)
    ended = threading.Event()

    def send() -> None:
        with suppress(requests.RequestException):
            post_claim(server.url, claim_body, timeout=10)
        ended.set()

    threading.Thread(target=send, daemon=True).start()
    time.sleep(0.1)
    server.stop()

    assert ended.wait(timeout=2)  # released by the stop, not by the request's own timeout


def test_request_waiting_through_a_reset_leaves_the_next_test_alone(
    sandbox: SandboxServer, claim_body: dict
) -> None:
    sandbox.set_faults(latency_ms=300)
    with pytest.raises(requests.ReadTimeout):
        post_claim(sandbox.url, claim_body, timeout=0.05)

    sandbox.reset()  # as between two tests
    sandbox.set_faults(mode="error_503", times=1)
    time.sleep(0.4)

    assert (sandbox.received, sandbox.claims) == ([], {})
    assert post_claim(sandbox.url, claim_body).status_code == 503


# -- control: claim keys ---------------------------------------------------------------------


def test_control_claim_keys(sandbox: SandboxServer, claim_body: dict) -> None:
    keyed = post_keyed(sandbox.url, claim_body, "key-9").json()["payload"]["sourceOrderId"]
    unkeyed = post_claim(sandbox.url, claim_body).json()["payload"]["sourceOrderId"]

    listed = requests.get(f"{sandbox.url}/__sandbox__/claim-keys", timeout=5)
    claims = requests.get(f"{sandbox.url}/__sandbox__/claims", timeout=5).json()

    assert listed.json() == {keyed: "key-9", unkeyed: None}
    assert claims == {keyed: claim_body, unkeyed: claim_body}


def test_control_faults_put_accepts_after_filing(sandbox: SandboxServer) -> None:
    plan = {"mode": "drop", "after_filing": True}

    response = requests.put(f"{sandbox.url}/__sandbox__/faults", json=plan, timeout=5)

    assert response.json()["after_filing"] is True
    assert sandbox.faults == FaultPlan(**plan)


def wait_until_serving(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            requests.get(f"{url}/__sandbox__/health", timeout=1).raise_for_status()
            return
        except requests.ConnectionError:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
