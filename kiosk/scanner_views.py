"""The camera's barcode scanner (static/kiosk/scanner.js): the script of the worker that
decodes frames when the browser has no BarcodeDetector for UPC/EAN."""

import json

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from kiosk.csp import csp_allow_wasm

# What the counter scans: the barcodes on products' boxes.
BARCODE_FORMATS = ["ean_13", "ean_8", "upc_a", "upc_e"]
# The polyfill (its IIFE build, which a classic worker can load) and the worker's own code.
WORKER_SCRIPTS = ["vendor/barcode-detector/ponyfill.js", "kiosk/scanner-worker.js"]
WASM = "vendor/zxing-wasm/zxing_reader.wasm"
# The static files the scanner loads, for the service worker to keep (offline_views).
SCANNER_ASSETS = ["kiosk/scanner.css", "kiosk/scanner.js", *WORKER_SCRIPTS, WASM]


@login_not_required
@require_GET
@csp_allow_wasm
def scanner_worker(request: HttpRequest) -> HttpResponse:
    """The decoder worker's script. Its response, alone of the portal's, allows WebAssembly
    ('wasm-unsafe-eval'): a dedicated worker runs under its script's policy, so the pages
    that start it keep theirs. It holds nothing private (the static URLs of this deployment)."""
    config = {"wasmUrl": static(WASM), "formats": BARCODE_FORMATS}
    scripts = ", ".join(json.dumps(static(script)) for script in WORKER_SCRIPTS)
    body = f"self.KIOSK_SCANNER = {json.dumps(config)};\nimportScripts({scripts});\n"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
