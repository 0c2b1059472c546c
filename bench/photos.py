"""Photos that travel light: four measurements, each against a baseline in the same run.

1. Normalising a 12 MP phone JPEG on the server: Pillow with `draft` (DCT-scaled
   decoding) against a naive full decode + exif_transpose + LANCZOS resize.
   Target: at least 4× faster, at most 60 ms a photo.
2. Upload bytes of a 4000×3000 photo from the browser (Debian's chromium running the
   tablet's own static/kiosk/photos.js), before and after the downscale.
   Target: at least 6× smaller, at most 600 KB.
3. Submit time with two 12 MP photos, the API's servers fetching every image: photos
   stored as they came (before) and normalised (after), as a ratio to the API latency.
4. Bytes a claim's pages download for its photos: the full originals (before: what the
   pages showed) against the thumbnails they show now. Target: at least 10× fewer.
"""

import base64
import io
import re
import statistics
import time
from pathlib import Path

from bench import harness

NAME = "photos"
DEFAULT_CLAIMS = 10  # submissions per mode in measurement 3
LATENCY_MS = 200
ROUNDS = 15
CHROMIUM = "/usr/bin/chromium"


def run(*, claims: int = DEFAULT_CLAIMS) -> harness.BenchResult:
    harness.setup_django()
    from tests.images import phone_photo

    photo = phone_photo()
    rows, data, verdicts = [], {}, []
    normalise = _normalisation(photo)
    upload = _upload_bytes(photo)
    submit = _submit_time(photo, claims)
    pages = _page_bytes(photo)
    data.update(normalise=normalise, upload=upload, submit=submit, pages=pages)
    rows += [
        ("normalise 12 MP: naive median", f"{normalise['naive_ms']:.0f} ms"),
        ("normalise 12 MP: with draft", f"{normalise['draft_ms']:.0f} ms"),
        ("  faster by", f"{normalise['speedup']:.1f}×"),
        ("upload: original", f"{upload['original_bytes']:,} B"),
        (
            "upload: downscaled in chromium",
            f"{upload['downscaled_bytes']:,} B in {upload['ms']:.0f} ms",
        ),
        ("  smaller by", f"{upload['ratio']:.1f}×"),
        (
            "submit, originals stored",
            f"{submit['before_ms']:.0f} ms = {submit['before_ratio']:.2f}× latency",
        ),
        (
            "submit, normalised",
            f"{submit['after_ms']:.0f} ms = {submit['after_ratio']:.2f}× latency",
        ),
        ("page bytes for photos: before", f"{pages['before_bytes']:,} B"),
        ("page bytes for photos: after", f"{pages['after_bytes']:,} B"),
        ("  fewer by", f"{pages['ratio']:.1f}×"),
    ]
    verdicts.append(normalise["speedup"] >= 4 and normalise["draft_ms"] <= 60)
    verdicts.append(upload["ratio"] >= 6 and upload["downscaled_bytes"] <= 600_000)
    verdicts.append(submit["after_ratio"] < submit["before_ratio"])
    verdicts.append(pages["ratio"] >= 10)
    names = ["normalise", "upload", "submit", "page bytes"]
    missed = [name for name, ok in zip(names, verdicts, strict=True) if not ok]
    verdict = "PASS: every target met" if not missed else f"FAIL: {', '.join(missed)}"
    return harness.BenchResult(NAME, rows, data, verdict)


def _naive(data: bytes) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
        upright.thumbnail((2048, 2048), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        upright.save(buffer, format="JPEG", quality=85)
        return buffer.getvalue()


def _normalisation(photo: bytes) -> dict:
    from kiosk.services.images import image_normalise

    def timed(function) -> float:
        samples = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            function()
            samples.append((time.perf_counter() - started) * 1000)
        return statistics.median(samples)

    naive = timed(lambda: _naive(photo))
    draft = timed(lambda: image_normalise(data=photo))
    return {"naive_ms": naive, "draft_ms": draft, "speedup": naive / draft}


def _upload_bytes(photo: bytes) -> dict:
    from playwright.sync_api import sync_playwright

    script = Path(harness.REPO_ROOT, "static", "kiosk", "photos.js")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new", "--disable-gpu"]
        )
        page = browser.new_page()
        page.set_content("<!doctype html><title>upload</title>")
        page.add_script_tag(path=str(script))
        measured = page.evaluate(
            """async (encoded) => {
                const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
                const file = new File([bytes], "IMG_0001.jpg", { type: "image/jpeg" });
                const started = performance.now();
                const small = await window.KioskPhotos.downscaled(file, 2048);
                return { size: small.size, ms: performance.now() - started };
            }""",
            base64.b64encode(photo).decode(),
        )
        browser.close()
    return {
        "original_bytes": len(photo),
        "downscaled_bytes": measured["size"],
        "ms": measured["ms"],
        "ratio": len(photo) / measured["size"],
    }


def _claims_with_photos(photo: bytes, count: int, *, normalised: bool, username: str) -> list:
    import hashlib

    from django.core.files.base import ContentFile

    from kiosk.models import ClaimAttachment
    from kiosk.services.attachments import attachment_store

    associate, store = harness.make_associate(username=username)
    claims = harness.make_complete_claims(store=store, associate=associate, count=count)
    for claim in claims:
        claim.attachments.filter(kind=ClaimAttachment.Kind.ITEM).delete()
        for _ in range(2):
            if normalised:
                attachment_store(claim=claim, kind=ClaimAttachment.Kind.ITEM, data=photo)
                continue
            raw = ClaimAttachment(
                claim=claim,
                kind=ClaimAttachment.Kind.ITEM,
                content_type="image/jpeg",
                width=4000,
                height=3000,
                size=len(photo),
                sha256=hashlib.sha256(photo).hexdigest(),
            )
            raw.file.save("original.jpg", ContentFile(photo), save=False)
            raw.save()
    return claims


def _submit_time(photo: bytes, count: int) -> dict:
    from kiosk.services.submission import claim_submit

    results = {}
    with (
        harness.live_portal() as portal_url,
        harness.live_sandbox(latency_ms=LATENCY_MS) as sandbox,
        harness.portal_settings(portal_url=portal_url, sandbox_url=sandbox.url),
    ):
        for mode, normalised in (("before", False), ("after", True)):
            claims = _claims_with_photos(photo, count, normalised=normalised, username=mode)
            samples = []
            for claim in claims:
                started = time.perf_counter()
                claim_submit(claim=claim, media_base_url=portal_url)
                samples.append((time.perf_counter() - started) * 1000)
                claim.refresh_from_db()
                if claim.status != "filed":
                    raise RuntimeError(f"{mode}: claim {claim.reference} is {claim.status}")
            median = statistics.median(samples)
            results[f"{mode}_ms"] = median
            results[f"{mode}_ratio"] = median / LATENCY_MS
    return results


def _page_bytes(photo: bytes) -> dict:
    """What the claim's photos cost the pages that show them: the step, the review, the desk."""
    import requests
    from django.test import Client
    from django.urls import reverse

    claim = _claims_with_photos(photo, 1, normalised=True, username="pages")[0]
    originals = {a.pk: len(photo) for a in claim.attachments.all() if a.kind == "item"}
    client = Client()
    client.force_login(claim.created_by)
    pages = [
        reverse("kiosk:claim-step", args=[claim.reference, "item"]),
        reverse("kiosk:claim-step", args=[claim.reference, "review"]),
    ]
    before = after = 0
    with harness.live_portal() as portal_url:
        session = requests.Session()
        session.cookies.set("sessionid", client.cookies["sessionid"].value)
        for page in pages:
            html = session.get(portal_url + page, timeout=10).text
            for src in re.findall(r'<img[^>]+src="([^"]*/photos/(\d+)/[^"]*)"', html):
                url, pk = src
                after += len(session.get(portal_url + url, timeout=10).content)
                before += originals.get(int(pk), 0)
    return {"before_bytes": before, "after_bytes": after, "ratio": before / max(after, 1)}
