"""Decode time of a camera frame of a barcode, in the tablet's browser, with the polyfill.

Debian's chromium (which has no BarcodeDetector of its own on Linux) opens a page of the
portal under its Content-Security-Policy and starts the scanner's decoder worker
(/scanner-worker.js: barcode-detector on zxing-wasm, kiosk/scanner-worker.js). A frame of
1280×720 (tests.barcode_video: the EAN-13 on a label, as the fake camera of the browser
tests shows it) is decoded ``DECODES`` times as static/kiosk/scanner.js decodes a video
frame: createImageBitmap, transferred to the worker, detect, the codes posted back.

Baselines in the same run: reading the same frame's pixels on the page (createImageBitmap,
drawImage on a canvas, getImageData: what any decoder must do first), and decoding a
320×240 frame of the same barcode. Goal: median ≤ 1 s at 1280×720. The worker's start (the
.wasm fetched and compiled, once per page) is reported apart.
Errors (non-zero exit): a decode that does not give the barcode's digits.
"""

import base64
import io
import os
from typing import Any

from bench import harness

NAME = "barcode_decode"
DEFAULT_CLAIMS = 1  # not used: no claim is made
DECODES = 30
PORTAL_PORT = 8751
GOAL_MS = 1000.0
PAGE_PATH = "/bench-barcode-decode/"
SMALL_SIZE = (320, 240)

# Each function runs in the page; times are performance.now() differences in ms.
START_WORKER = """async (url) => {
    const started = performance.now();
    const worker = new Worker(url);
    await new Promise((resolve, reject) => worker.addEventListener("message", (event) => {
        if (event.data.type === "ready") resolve();
        if (event.data.type === "failed") reject(new Error(event.data.message));
    }));
    window.benchWorker = worker;
    return performance.now() - started;
}"""
LOAD_FRAMES = """async (frames) => {
    window.benchFrames = {};
    for (const [name, source] of Object.entries(frames)) {
        const image = new Image();
        image.src = source;
        await image.decode();
        window.benchFrames[name] = image;
    }
}"""
DECODE = """async ({ frame, times }) => {
    const worker = window.benchWorker;
    const samples = [];
    const read = [];
    for (let id = 1; id <= times; id++) {
        const started = performance.now();
        const bitmap = await createImageBitmap(window.benchFrames[frame]);
        const codes = await new Promise((resolve) => {
            const answer = (event) => {
                if (event.data.type === "codes" && event.data.id === id) {
                    worker.removeEventListener("message", answer);
                    resolve(event.data.codes);
                }
            };
            worker.addEventListener("message", answer);
            worker.postMessage({ id, frame: bitmap }, [bitmap]);
        });
        samples.push(performance.now() - started);
        read.push(codes.map((code) => code.rawValue).join(",") || "(nothing)");
    }
    return { samples, read };
}"""
PIXELS = """async ({ frame, times }) => {
    const image = window.benchFrames[frame];
    const canvas = document.createElement("canvas");
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    const samples = [];
    for (let i = 0; i < times; i++) {
        const started = performance.now();
        const bitmap = await createImageBitmap(image);
        context.drawImage(bitmap, 0, 0);
        context.getImageData(0, 0, canvas.width, canvas.height);
        bitmap.close();
        samples.push(performance.now() - started);
    }
    return samples;
}"""


def run(*, claims: int = DEFAULT_CLAIMS) -> harness.BenchResult:
    harness.setup_django()
    from tests.barcode_video import CAMERA_BARCODE, barcode_frame

    frames = {
        "large": _data_url(barcode_frame(CAMERA_BARCODE)),
        "small": _data_url(barcode_frame(CAMERA_BARCODE, SMALL_SIZE)),
    }
    with harness.live_portal(port=PORTAL_PORT, static=True) as url:
        measured = _measure(url, frames)

    errors = [
        f"{frame} frame read {value!r}, not {CAMERA_BARCODE}"
        for frame in ("large", "small")
        for value in set(measured[frame]["read"])
        if value != CAMERA_BARCODE
    ]
    large = harness.Summary.of(measured["large"]["samples"])
    small = harness.Summary.of(measured["small"]["samples"])
    pixels = harness.Summary.of(measured["pixels"])
    rows = [
        ("decoder worker start (.wasm fetched, compiled)", f"{measured['start_ms']:.0f} ms"),
        (
            f"decode 1280×720, {large.count}× (median / p95)",
            f"{large.median_ms:.1f} / {large.p95_ms:.1f} ms",
        ),
        (
            "baseline: read its pixels (median / p95)",
            f"{pixels.median_ms:.1f} / {pixels.p95_ms:.1f} ms",
        ),
        ("  decode ÷ read pixels (median)", f"{large.median_ms / pixels.median_ms:.1f}×"),
        (
            "baseline: decode 320×240 (median / p95)",
            f"{small.median_ms:.1f} / {small.p95_ms:.1f} ms",
        ),
        ("  1280×720 ÷ 320×240 (median)", f"{large.median_ms / small.median_ms:.1f}×"),
    ]
    met = large.median_ms <= GOAL_MS and not errors
    verdict = f"{'PASS' if met else 'FAIL'}: median decode of a 1280×720 frame ≤ {GOAL_MS:.0f} ms"
    data = {
        "start_ms": round(measured["start_ms"], 2),
        "decode_1280x720": large.to_dict(),
        "read_pixels_1280x720": pixels.to_dict(),
        "decode_320x240": small.to_dict(),
        "barcode": CAMERA_BARCODE,
        "decodes": DECODES,
    }
    return harness.BenchResult(NAME, rows, data, verdict, errors)


def _data_url(image: Any) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _measure(url: str, frames: dict[str, str]) -> dict[str, Any]:
    from django.conf import settings
    from django.urls import reverse
    from django.utils.csp import build_policy
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TABLET

    page_html = "<!doctype html><title>Decode</title><p>Decoding.</p>"
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # reverse() under Playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=url, **TABLET)
            # A page of the portal's origin, under the portal's policy (no 'wasm-unsafe-eval').
            page.route(
                url + PAGE_PATH,
                lambda route: route.fulfill(
                    status=200,
                    content_type="text/html",
                    headers={"Content-Security-Policy": build_policy(settings.SECURE_CSP)},
                    body=page_html,
                ),
            )
            page.goto(PAGE_PATH)
            start_ms = page.evaluate(START_WORKER, reverse("kiosk:scanner-worker"))
            page.evaluate(LOAD_FRAMES, frames)
            page.evaluate(DECODE, {"frame": "large", "times": 3})  # warm-up, not counted
            large = page.evaluate(DECODE, {"frame": "large", "times": DECODES})
            small = page.evaluate(DECODE, {"frame": "small", "times": DECODES})
            pixels = page.evaluate(PIXELS, {"frame": "large", "times": DECODES})
        finally:
            browser.close()
    return {"start_ms": start_ms, "large": large, "small": small, "pixels": pixels}
