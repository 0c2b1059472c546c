"""The store's Wi-Fi drops: claims filed offline, replayed when the connection is back.

Debian's chromium (a profile on disk, as a tablet has) is signed in as a store's tablet
and unlocked by PIN; once it is ready offline, the connection goes (``set_offline``) and
``claims`` whole claims are filed through the tablet's own pages, each with three photos
of 1600×1200 (two of the item, one of the receipt) and the customer's signature. Then:

1. Bytes kept on the tablet per waiting claim: what the outbox holds (each request's
   sealed fields and sealed photo, IV included), and what ``navigator.storage.estimate()``
   and the profile's IndexedDB folder grew by since the unlock. Baseline: the same
   claim's plain bytes (the downscaled photos as sent, and the fields as JSON).
2. The connection comes back; the clock runs until every claim is queued (or filed) on
   the server and the outbox is empty. Goal: at most 30 s for 20 claims. Baseline in
   the same run: the same requests (start, saves, photos, submit; the same downscaled
   photo bytes, under fresh references and ids), posted straight to POST /tablet/outbox/
   with the tablet's cookie and token by four ``requests.Session``, one claim after
   another each, as the tablet sends four claims side by side.

The portal (in a thread, on SQLite) and the sandbox listen on ports of their own.
Errors (non-zero exit): a claim not queued in time, or filed twice at the sandbox.
"""

import base64
import os
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import requests

from bench import harness

NAME = "offline_replay"
DEFAULT_CLAIMS = 20
PORTAL_PORT = 8731
SANDBOX_PORT = 8732
GOAL_S = 30.0
PHOTO_SIZE = (1600, 1200)
PARALLEL_CLAIMS = 4  # as static/kiosk/outbox-replay.js sends them
REPLAY_TIMEOUT_S = 300.0
POLL_INTERVAL_S = 0.1
HTTP_TIMEOUT = 60.0
OUTBOX_PATH = "/tablet/outbox/"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

# What the outbox holds, measured in the page: sealed bytes (the AES-GCM ciphertext with
# its tag, and the IV) against the plain bytes they seal.
OUTBOX_BYTES = """async () => {
    const size = (sealed) => sealed.data.byteLength + sealed.iv.byteLength;
    const encoder = new TextEncoder();
    const all = await KioskOutbox.requests();
    const db = await idb.openDB("kiosk-outbox");
    const totals = {requests: all.length, sealed: 0, plain: 0, photos: 0, photo_sealed: 0,
                    photo_plain: 0, claims: new Set(all.map((r) => r.reference)).size};
    for (const request of all) {
        const { fields, file } = await KioskOutbox.contents(request);
        totals.sealed += size(request.sealed);
        totals.plain += encoder.encode(JSON.stringify(fields)).length;
        if (file) {
            const photo = await db.get("photos", request.id);
            totals.photos += 1;
            totals.photo_sealed += size(photo.sealed);
            totals.photo_plain += file.size;
            totals.sealed += size(photo.sealed);
            totals.plain += file.size;
        }
    }
    return totals;
}"""
STORAGE_USAGE = "async () => (await navigator.storage.estimate()).usage"
# The outbox in plain, in the order it was made: what the baseline sends again.
OUTBOX_PLAIN = """async () => {
    const base64 = (blob) => new Promise((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result.split(",", 2)[1]);
        reader.readAsDataURL(blob);
    });
    const all = (await KioskOutbox.requests()).sort((a, b) => a.seq - b.seq);
    const plain = [];
    for (const request of all) {
        const { token, fields, file } = await KioskOutbox.contents(request);
        plain.push({kind: request.kind, reference: request.reference, step: request.step,
                    token, fields, photo: file ? await base64(file) : null});
    }
    return plain;
}"""
# Counted without reading the requests out: polled while the outbox replays.
WAITING = """async () => {
    const db = await idb.openDB("kiosk-outbox");
    try { return await db.count("requests"); } finally { db.close(); }
}"""


def run(*, claims: int = DEFAULT_CLAIMS) -> harness.BenchResult:
    harness.setup_django()
    from tests.images import phone_photo

    with TemporaryDirectory(prefix="claims-portal-offline-") as directory:
        folder = Path(directory)
        photos = []
        for name in ("item-front", "item-back", "receipt"):
            path = folder / f"{name}.jpg"
            path.write_bytes(phone_photo(size=PHOTO_SIZE, orientation=1))
            photos.append(path)
        with (
            harness.live_portal(port=PORTAL_PORT, static=True) as portal_url,
            harness.live_sandbox(port=SANDBOX_PORT) as sandbox,
            harness.portal_settings(portal_url=portal_url, sandbox_url=sandbox.url),
        ):
            manager = _make_people()
            tablet = _tablet(portal_url, folder / "profile", manager, photos, claims)
            baseline = _baseline(portal_url, tablet.pop("plain"), tablet.pop("cookies"))
            filed = [r for r in sandbox.received if r.path == "/v1/claims/offline"]
        tablet["photo_original_bytes"] = [path.stat().st_size for path in photos]
    return _report(claims, tablet, baseline, filed)


def _make_people() -> Any:
    """A store with its associate Alex (PIN 4821) and its manager, as the browser tests'."""
    from django.contrib.auth.models import Group

    from kiosk.roles import STORE_MANAGERS
    from kiosk.services.tablets import pin_set
    from tests.browser.conftest import PIN
    from tests.factories import StoreFactory, UserFactory

    associate = UserFactory(username="bench-alex", first_name="Alex")
    manager = UserFactory(username="bench-morgan", first_name="Morgan", is_staff=True)
    manager.groups.add(Group.objects.get(name=STORE_MANAGERS))
    StoreFactory(name="Main Street", members=[associate, manager])
    pin_set(user=associate, pin=PIN, by=manager)
    return manager


# -- the tablet ----------------------------------------------------------------------------


def _tablet(
    url: str, profile: Path, manager: Any, photos: list[Path], claims: int
) -> dict[str, Any]:
    from playwright.sync_api import expect, sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TABLET
    from tests.browser.test_offline import unlock

    expect.set_options(timeout=20_000)
    with _database_under_playwright(), sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, base_url=url, **TABLET
        )
        context.set_default_timeout(20_000)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            unlock(page, manager)
            usage_before = page.evaluate(STORAGE_USAGE)
            disk_before = _indexeddb_bytes(profile)
            context.set_offline(True)
            started = time.perf_counter()
            for index in range(claims):
                _file_offline(page, index, photos)
            filing_s = time.perf_counter() - started
            page.wait_for_timeout(1000)  # IndexedDB writes its log to disk
            kept = page.evaluate(OUTBOX_BYTES)
            kept["usage_bytes"] = page.evaluate(STORAGE_USAGE) - usage_before
            kept["indexeddb_disk_bytes"] = _indexeddb_bytes(profile) - disk_before
            plain = page.evaluate(OUTBOX_PLAIN)
            references = sorted({request["reference"] for request in plain})
            replay = _replay(context, page, references)
            cookies = {cookie["name"]: cookie["value"] for cookie in context.cookies()}
        finally:
            context.close()
    return {
        "filing_offline_s": filing_s,
        "kept": kept,
        "replay": replay,
        "plain": plain,
        "cookies": cookies,
    }


@contextmanager
def _database_under_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop running in this thread, where Django
    would refuse to query; the queries here are plain and short (as tests/conftest.py)."""
    before = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        yield
    finally:
        if before is None:
            del os.environ[ASYNC_UNSAFE]
        else:
            os.environ[ASYNC_UNSAFE] = before


def _file_offline(page: Any, index: int, photos: list[Path]) -> None:
    """One whole claim through the tablet's pages, as
    test_a_whole_claim_done_offline_is_filed_once_when_the_connection_is_back does."""
    import datetime

    from playwright.sync_api import expect

    from tests.browser.conftest import sign
    from tests.browser.test_offline import fill_customer, next_step

    item_front, item_back, receipt = photos
    if index:
        page.goto("/")
    fill_customer(page, first=f"Jane{'abcdefghijklmnopqrstuvwxyz'[index % 26]}")
    page.get_by_role("button", name="Start a new claim").click()
    page.wait_for_url("**/steps/item/")
    page.fill("#id_item_name", f"Espresso machine {index + 1}")
    page.fill("#id_item_price", "249.99")
    page.set_input_files("#id_item_photos", [item_front, item_back])
    kept = page.get_by_test_id("attachments-item").locator(".attachment.kept")
    expect(kept).to_have_count(2)
    next_step(page, "warranty")
    purchased = datetime.date.today() - datetime.timedelta(days=40)
    page.fill("#id_date_of_purchase", f"{purchased:%Y-%m-%d}")
    page.set_input_files("#id_receipt_photos", receipt)
    expect(page.get_by_test_id("attachments-receipt").locator(".attachment.kept")).to_have_count(1)
    next_step(page, "address")
    page.fill("#id_ship_first_name", "Jane")
    page.fill("#id_ship_last_name", "Doe")
    page.fill("#id_ship_address1", "123 Main St")
    page.fill("#id_ship_city", "New York")
    page.fill("#id_ship_zip", "10001")
    page.select_option("#id_ship_state", "US-NY")
    next_step(page, "issue")
    page.click("label[for=id_issue_type_0]")
    page.click("label[for=id_resolution_1]")
    next_step(page, "review")
    # The summary is filled in from the outbox after the load, moving the signature pad.
    expect(page.get_by_test_id("review")).to_contain_text("10001")
    sign(page)
    page.get_by_test_id("submit-claim").click()
    page.wait_for_url("**/result/")
    expect(page.get_by_test_id("claim-kept")).to_be_visible()


def _indexeddb_bytes(profile: Path) -> int:
    """Bytes of the profile's IndexedDB folders (LevelDB files and blobs), every origin."""
    folder = profile / "Default" / "IndexedDB"
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _replay(context: Any, page: Any, references: list[str]) -> dict[str, Any]:
    """Back online: seconds until every claim is queued on the server, and the outbox empty."""
    from django.utils import timezone

    from kiosk.models import Claim

    queued_s = empty_s = None
    back_at = timezone.now()
    started = time.perf_counter()
    context.set_offline(False)
    while time.perf_counter() - started < REPLAY_TIMEOUT_S:
        now = time.perf_counter() - started
        if queued_s is None and _queued(references) == len(references):
            queued_s = now
        if empty_s is None and page.evaluate(WAITING) == 0:
            empty_s = now
        if queued_s is not None and empty_s is not None:
            break
        time.sleep(POLL_INTERVAL_S)
    statuses = dict.fromkeys(references, "missing") | dict(
        Claim.objects.filter(reference__in=references).values_list("reference", "status")
    )
    # When each claim was queued, from the connection's return: where the time went.
    queued = Claim.objects.filter(reference__in=references, queued_at__isnull=False)
    moments = queued.values_list("queued_at", flat=True)
    each_s = sorted((moment - back_at).total_seconds() for moment in moments)
    return {
        "each_queued_s": [round(seconds, 2) for seconds in each_s],
        "queued_s": queued_s,
        "outbox_empty_s": empty_s,
        "done_s": max(queued_s, empty_s) if queued_s is not None and empty_s is not None else None,
        "statuses": _count(statuses.values()),
    }


def _queued(references: list[str]) -> int:
    from kiosk.models import Claim

    claims = Claim.objects.filter(reference__in=references)
    return claims.exclude(status=Claim.Status.DRAFT).count()


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


# -- the baseline --------------------------------------------------------------------------


def _baseline(url: str, plain: list[dict], cookies: dict[str, str]) -> dict[str, Any]:
    """The same requests, straight to the outbox endpoint: fresh references and ids."""
    from kiosk.models import new_claim_reference

    by_claim: dict[str, list[dict]] = {}
    for request in plain:
        by_claim.setdefault(request["reference"], []).append(request)
    claims = []
    for old, requests_ in by_claim.items():
        new = new_claim_reference()
        claims.append([_renamed(request, old, new) for request in requests_])
    references = [claim[0]["reference"] for claim in claims]
    answers: list[str] = []
    lock = threading.Lock()

    def lane() -> None:
        session = requests.Session()
        session.cookies.update(cookies)
        while True:
            with lock:
                if not claims:
                    return
                claim = claims.pop(0)
            for request in claim:
                answer = _post(session, url, request, waiting=len(references))
                with lock:
                    answers.append(answer)

    started = time.perf_counter()
    lanes = [threading.Thread(target=lane) for _ in range(PARALLEL_CLAIMS)]
    for thread in lanes:
        thread.start()
    for thread in lanes:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "done_s": elapsed,
        "requests": len(answers),
        "answers": _count(answers),
        "queued": _queued(references),
        "claims": len(references),
    }


def _renamed(request: dict, old: str, new: str) -> dict:
    """The request under the claim's new reference, with ids of its own."""
    fields = [[name, new if value == old else value] for name, value in request["fields"]]
    if request["kind"] == "photo":
        fields = [[n, str(uuid.uuid4()) if n == "photo_id" else v] for n, v in fields]
    return request | {"reference": new, "fields": fields}


def _post(session: requests.Session, url: str, request: dict, *, waiting: int) -> str:
    data = [("id", str(uuid.uuid4())), ("kind", request["kind"])]
    data.append(("reference", request["reference"]))
    if request["step"]:
        data.append(("step", request["step"]))
    data += [(name, value) for name, value in request["fields"]]
    files = None
    if request["photo"] is not None:
        files = {"photo": ("photo.jpg", base64.b64decode(request["photo"]), "image/jpeg")}
    response = session.post(
        url + OUTBOX_PATH,
        data=data,
        files=files,
        headers={"X-Kiosk-Outbox-Token": request["token"], "X-Kiosk-Waiting": str(waiting)},
        timeout=HTTP_TIMEOUT,
    )
    try:
        return f"{response.status_code} {response.json().get('status')}"
    except ValueError:
        return f"{response.status_code} not JSON"


# -- the report ----------------------------------------------------------------------------


def _report(claims: int, tablet: dict, baseline: dict, filed: list) -> harness.BenchResult:
    kept, replay = tablet["kept"], tablet["replay"]
    errors = []
    if replay["done_s"] is None:
        errors.append(f"not all queued in {REPLAY_TIMEOUT_S:.0f} s: {replay['statuses']}")
    if kept["claims"] != claims:
        errors.append(f"the outbox held {kept['claims']} claims, not {claims}")
    if baseline["queued"] != baseline["claims"]:
        errors.append(f"baseline: {baseline['queued']} of {baseline['claims']} claims queued")
    keys = [request.idempotency_key for request in filed]
    if len(keys) != len(set(keys)):
        errors.append(f"filed twice at the sandbox: {len(keys) - len(set(keys))} claims")
    per_claim = {
        "sealed_bytes": kept["sealed"] / claims,
        "plain_bytes": kept["plain"] / claims,
        "usage_bytes": kept["usage_bytes"] / claims,
        "indexeddb_disk_bytes": kept["indexeddb_disk_bytes"] / claims,
    }
    overhead = kept["sealed"] / kept["plain"]
    done = replay["done_s"]
    ratio = done / baseline["done_s"] if done is not None else None
    rows = [
        ("claims filed offline (3 photos each)", f"{claims} in {tablet['filing_offline_s']:.1f} s"),
        ("photo picked / kept (mean)", _photo_sizes(tablet, kept)),
        ("kept per claim: outbox, sealed", f"{per_claim['sealed_bytes']:,.0f} B"),
        ("  baseline: plain (photos + fields)", f"{per_claim['plain_bytes']:,.0f} B"),
        ("  encryption overhead", f"{overhead:.4f}× (+{overhead * 100 - 100:.2f} %)"),
        ("kept per claim: storage.estimate()", f"{per_claim['usage_bytes']:,.0f} B"),
        ("kept per claim: IndexedDB on disk", f"{per_claim['indexeddb_disk_bytes']:,.0f} B"),
        ("replay: first / median claim queued", _first_and_median(replay["each_queued_s"])),
        ("replay: all queued on the server", _seconds(replay["queued_s"])),
        ("replay: outbox empty", _seconds(replay["outbox_empty_s"])),
        (
            "baseline: same requests posted",
            f"{baseline['done_s']:.2f} s ({baseline['requests']} requests, "
            f"{PARALLEL_CLAIMS} sessions)",
        ),
        ("  replay / baseline", f"{ratio:.2f}×" if ratio is not None else "—"),
        ("statuses after replay", ", ".join(f"{k} {v}" for k, v in replay["statuses"].items())),
    ]
    met = done is not None and done <= GOAL_S
    verdict = (
        f"{'PASS' if met else 'FAIL'}: {claims} claims queued and the outbox empty "
        f"{_seconds(done)} after the connection's return (goal ≤ {GOAL_S:.0f} s)"
    )
    data = {
        "claims": claims,
        "photo_size": list(PHOTO_SIZE),
        "database": harness.setup_django().database,
        "filing_offline_s": round(tablet["filing_offline_s"], 2),
        "kept": kept,
        "kept_per_claim": {key: round(value) for key, value in per_claim.items()},
        "encryption_overhead": round(overhead, 5),
        "photo_original_bytes": tablet["photo_original_bytes"],
        "replay": replay,
        "baseline": baseline,
        "replay_over_baseline": round(ratio, 3) if ratio is not None else None,
        "goal_s": GOAL_S,
    }
    return harness.BenchResult(NAME, rows, data, verdict, errors)


def _photo_sizes(tablet: dict, kept: dict) -> str:
    originals = tablet["photo_original_bytes"]
    picked = sum(originals) / len(originals)
    return f"{picked:,.0f} B / {kept['photo_plain'] / max(kept['photos'], 1):,.0f} B"


def _seconds(value: float | None) -> str:
    return f"{value:.2f} s" if value is not None else "not in time"


def _first_and_median(each: list[float]) -> str:
    if not each:
        return "—"
    return f"{each[0]:.2f} s / {statistics.median(each):.2f} s"
