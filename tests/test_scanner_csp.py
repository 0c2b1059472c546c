"""The camera's barcode scanner on the server's side: the decoder worker's script, the one
response that allows WebAssembly ('wasm-unsafe-eval'), and what the tablet keeps offline."""

import json
import re

import pytest
from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse

from kiosk.csp import policy_with_wasm
from tests.factories import ClaimFactory
from tests.test_tablets import signed_in_tablet, unlock  # noqa: F401

pytestmark = pytest.mark.django_db
WASM_UNSAFE_EVAL = "'wasm-unsafe-eval'"
WASM = "vendor/zxing-wasm/zxing_reader.wasm"


def script_src(response) -> list[str]:
    policy = response["Content-Security-Policy"]
    directive = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    return directive.split()[1:]


def test_the_decoder_workers_script_alone_may_compile_webassembly(client):
    response = client.get(reverse("kiosk:scanner-worker"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert script_src(response) == ["'self'", WASM_UNSAFE_EVAL]
    # Nothing else loosened: the rest of the policy is the portal's.
    expected = {**settings.SECURE_CSP, "script-src": ["'self'", WASM_UNSAFE_EVAL]}
    directives = {
        d.split()[0]: d.split()[1:] for d in response["Content-Security-Policy"].split("; ")
    }
    assert directives == expected
    body = response.content.decode()
    config = json.loads(re.match(r"self\.KIOSK_SCANNER = (.*);\n", body).group(1))
    assert config["wasmUrl"] == static(WASM)  # ours, never a CDN
    assert config["formats"] == ["ean_13", "ean_8", "upc_a", "upc_e"]
    assert static("vendor/barcode-detector/ponyfill.js") in body


def test_no_page_of_the_tablet_or_the_desk_allows_webassembly(
    client,
    signed_in_tablet,  # noqa: F811
    associate,
    admin_client,
):
    assert unlock(client, associate).status_code == 302
    claim = ClaimFactory(store=associate.stores.get(), created_by=associate)
    pages = [
        client.get(reverse("kiosk:home")),
        client.get(reverse("kiosk:claim-step", args=[claim.reference, "item"])),
        client.get(reverse("kiosk:step-shell", args=["item"])),
        client.get(reverse("kiosk:service-worker")),
        client.get(reverse("kiosk:offline")),
        admin_client.get(reverse("admin:index")),
    ]

    for response in pages:
        assert response.status_code == 200, response.request["PATH_INFO"]
        assert script_src(response) == ["'self'"], response.request["PATH_INFO"]


def test_the_wasm_policy_leaves_the_portals_own_alone():
    before = json.dumps(settings.SECURE_CSP, sort_keys=True)

    policy = policy_with_wasm()

    assert policy["script-src"] == ["'self'", WASM_UNSAFE_EVAL]
    assert json.dumps(settings.SECURE_CSP, sort_keys=True) == before
    assert WASM_UNSAFE_EVAL not in settings.SECURE_CSP["script-src"]


def test_the_service_worker_keeps_the_scanner_for_offline(client):
    response = client.get(reverse("kiosk:service-worker"))
    config = json.loads(re.match(r"self\.KIOSK = (.*);\n", response.content.decode()).group(1))

    for asset in ["kiosk/scanner.js", "kiosk/scanner.css", "kiosk/scanner-worker.js", WASM]:
        assert static(asset) in config["precache"]
    assert static("vendor/barcode-detector/ponyfill.js") in config["precache"]
    assert reverse("kiosk:scanner-worker") in config["precache"]


def test_the_vendored_wasm_is_the_one_the_polyfill_was_built_for():
    """barcode-detector checks nothing at run time: a zxing-wasm of another version would
    fail in the tablet's browser. Both are pinned in package.json; this holds them together."""
    import hashlib

    root = settings.BASE_DIR / "node_modules"
    wasm = (root / "zxing-wasm" / "dist" / "reader" / "zxing_reader.wasm").read_bytes()
    polyfill = (root / "barcode-detector" / "dist" / "iife" / "ponyfill.js").read_text()
    assert hashlib.sha256(wasm).hexdigest() in polyfill
