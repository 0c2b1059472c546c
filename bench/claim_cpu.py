"""CPU per claim: what filing one whole claim costs the portal, and where it goes.

The portal runs as `make run` serves it: gunicorn (2 workers × 4 threads, DEBUG off,
static files collected) on SQLite, with the sandbox API over HTTP, which fetches each
claim's images. They are fetched from a static file server of their own, as the
production shape serves media, so that the portal's CPU is its own work on the claim.
One tablet (signed in by the demo manager, unlocked by the demo associate's PIN) files
whole claims back to back over real HTTP, as kiosk.js sends them: the start screen, a
new claim, the customer's page with a background save and Next, the item's page with
two photos at a phone's 2048 px sent in the background, its Next, the address, the
review, Submit with the signature, the result page. Redirects are followed as a
browser does.

CPU-seconds are the gunicorn processes' own, user + system (/proc/PID/stat), read
around each request and added to its phase: steps (every page and save), photos (the
two uploads) and submit (Submit, the counter's attempt at the API, the result page).
The same claims run twice in the same run: with persistent database connections
(DATABASE_CONN_MAX_AGE=600, the default) and with a new connection per request (0);
the ratio is what keeping them saves. Then one claim is filed under cProfile (one
worker, one thread) and its top functions and shares (SQLite and the ORM, Pillow,
templates) are reported. Delivery workers are not running: the tasks a claim queues
(risk scoring, the customer's copy) are the workers' CPU, not counted here.
"""

import functools
import os
import pstats
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from bench import harness

NAME = "claim_cpu"
DEFAULT_CLAIMS = 20
WARM_UP_CLAIMS = 2
PHOTO_SIZE = (2048, 1536)
MODES = {"persistent connections (600 s)": "600", "a connection per request (0)": "0"}
PHASES = ("steps", "photos", "submit")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Where a profiled function's own time goes, by the file (or the C function) it is in.
SHARES = {
    "SQLite and the ORM": ("/django/db/", "sqlite3"),
    "Pillow": ("/PIL/", "Imaging"),
    "templates and forms": ("/django/template/", "/django/templatetags/", "/django/forms/"),
}


def run(*, claims: int = DEFAULT_CLAIMS) -> harness.BenchResult:
    with tempfile.TemporaryDirectory(prefix="claims-portal-cpu-") as directory:
        root = Path(directory)
        template = _prepare(root)
        with _media_server(root / "www") as media_url, harness.live_sandbox() as sandbox:
            measured = {
                mode: _measure(root, template, media_url, sandbox.url, age, claims)
                for mode, age in MODES.items()
            }
            profile = _profile(root, template, media_url, sandbox.url)
    return _result(measured, profile, claims)


# -- the portal as `make run` serves it -------------------------------------------------


def _environment(root: Path, database: Path, media_url: str, api_url: str) -> dict[str, str]:
    return harness.production_env(
        database_url=f"sqlite:///{database}",
        media_root=root / "www" / "media",
        public_media_url=media_url,
        api_url=api_url,
        STATIC_ROOT=str(root / "static"),
    )


def _prepare(root: Path) -> Path:
    """A migrated database with the demo logins (copied for each run), static files."""
    template = root / "template.sqlite3"
    environment = _environment(root, template, "http://127.0.0.1", "http://127.0.0.1")
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
        ["seed_demo", "--allow-production"],
    ):
        # No timeout: collectstatic compresses every file with DEBUG off (minutes).
        harness.manage(environment, "manage.py", *command, timeout=None)
    return template


def _gunicorn(
    root: Path, environment: dict[str, str], *, app: str, workers: int, threads: int
) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    server = subprocess.Popen(
        harness.gunicorn_command(
            bind=f"127.0.0.1:{port}", workers=workers, threads=threads, app=app
        ),
        cwd=harness.REPO_ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=(root / "gunicorn.log").open("ab"),
    )
    url = f"http://127.0.0.1:{port}"
    give_up_at = time.monotonic() + 60
    while True:
        try:
            if requests.get(url + "/healthz", timeout=5).ok:
                return server, url
        except requests.RequestException:
            pass
        if server.poll() is not None or time.monotonic() > give_up_at:
            _stop(server)
            raise harness.SetupError("gunicorn did not start: see its log")
        time.sleep(0.1)


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children still running (gunicorn's workers)."""
    total = 0.0
    for process in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return total


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return children


# -- the tablet ---------------------------------------------------------------------------


@dataclass
class Tablet:
    """A tablet over HTTP: signed in by the demo manager, unlocked by the associate's PIN."""

    url: str
    database: Path
    http: requests.Session = field(default_factory=requests.Session)
    sequence: int = 0

    def post(self, path: str, data: dict, files: dict | None = None, **headers):
        headers["X-CSRFToken"] = self.http.cookies.get("csrftoken", "")
        response = self.http.post(
            self.url + path, data=data, files=files, headers=headers, timeout=60
        )
        response.raise_for_status()
        return response

    def get(self, path: str):
        response = self.http.get(self.url + path, timeout=60)
        response.raise_for_status()
        return response

    def sign_in_and_unlock(self) -> None:
        with sqlite3.connect(self.database) as db:
            (store,) = db.execute("SELECT id FROM kiosk_store").fetchone()
            (associate,) = db.execute(
                "SELECT id FROM auth_user WHERE username = 'associate'"
            ).fetchone()
        self.get("/accounts/login/")
        self.post("/accounts/login/", {"username": "manager", "password": "manager-demo-1"})
        self.post("/tablet/", {"store": store, "name": "Counter 1"})
        unlocked = self.post(f"/tablet/unlock/{associate}/", {"pin": "2580"})
        if unlocked.url != self.url + "/":
            raise harness.SetupError(f"the PIN did not unlock the tablet: {unlocked.url}")
        self.store = store

    def save_fields(self, nav: str) -> dict[str, str]:
        """What kiosk.js adds to each save: the page's order and the save's own id."""
        self.sequence += 1
        return {
            "page_rendered_at": str(time.time_ns() // 1_000_000),
            "input_sequence": str(self.sequence),
            "request_id": str(uuid.uuid4()),
            "nav": nav,
        }


def _file_claim(tablet: Tablet, pid: int, spent: dict[str, float]) -> str:
    """File one whole claim; adds each request's CPU to its phase in `spent`; the result URL."""
    from tests.images import phone_photo, signature_data_url
    from tests.test_views import VALID_STEPS

    def timed(phase, send, *args, **kwargs):
        before = _cpu_seconds(pid)
        response = send(*args, **kwargs)
        spent[phase] += _cpu_seconds(pid) - before
        return response

    automatic = {"X-Kiosk-Automatic": "1"}
    timed("steps", tablet.get, "/")
    started = timed("steps", tablet.post, "/claims/new/", {"store": tablet.store})
    claim = "/claims/" + started.url.split("/claims/", 1)[1].split("/", 1)[0] + "/"
    customer, page = VALID_STEPS["customer"], claim + "steps/customer/"
    timed("steps", tablet.post, page, customer | tablet.save_fields("autosave"), **automatic)
    timed("steps", tablet.post, page, customer | tablet.save_fields("next"))
    photo = phone_photo(size=PHOTO_SIZE)
    for kind in ("item", "receipt"):
        files = {"photo": (f"{kind}.jpg", photo, "image/jpeg")}
        data = {"kind": kind, "photo_id": str(uuid.uuid4())}
        timed("photos", tablet.post, claim + "photos/", data, files, **automatic)
    item = VALID_STEPS["item"] | VALID_STEPS["issue"] | VALID_STEPS["warranty"]
    timed("steps", tablet.post, claim + "steps/item/", item | tablet.save_fields("next"))
    address = VALID_STEPS["address"] | tablet.save_fields("next")
    timed("steps", tablet.post, claim + "steps/address/", address)
    signature = {"signature_data": signature_data_url(), "request_id": str(uuid.uuid4())}
    result = timed("submit", tablet.post, claim + "submit/", signature)
    return result.url


def _measure(
    root: Path, template: Path, media_url: str, api_url: str, age: str, claims: int
) -> dict:
    database = root / f"cpu-{age}.sqlite3"
    shutil.copy(template, database)
    environment = _environment(root, database, media_url, api_url)
    environment["DATABASE_CONN_MAX_AGE"] = age
    server, url = _gunicorn(root, environment, app="claims_portal.wsgi", workers=2, threads=4)
    errors = []
    try:
        tablet = Tablet(url, database)
        tablet.sign_in_and_unlock()
        for _ in range(WARM_UP_CLAIMS):  # imports, compiled templates, first connections
            _file_claim(tablet, server.pid, dict.fromkeys(PHASES, 0.0))
        spent = dict.fromkeys(PHASES, 0.0)
        started = time.perf_counter()
        for _ in range(claims):
            result = _file_claim(tablet, server.pid, spent)
            if not result.endswith("/result/"):
                errors.append(f"a claim ended at {result}, not its result page")
        elapsed = time.perf_counter() - started
    finally:
        _stop(server)
    with sqlite3.connect(database) as db:
        (filed,) = db.execute("SELECT count(*) FROM kiosk_claim WHERE status = 'filed'").fetchone()
    if filed != claims + WARM_UP_CLAIMS:
        errors.append(f"{filed} claims filed of {claims + WARM_UP_CLAIMS}")
    per_claim = {phase: seconds / claims for phase, seconds in spent.items()}
    return {
        "cpu_seconds_per_claim": sum(per_claim.values()),
        "by_phase": per_claim,
        "wall_seconds_per_claim": elapsed / claims,
        "errors": errors,
    }


# -- one claim under cProfile -------------------------------------------------------------


def _profile(root: Path, template: Path, media_url: str, api_url: str) -> dict:
    database = root / "profile.sqlite3"
    shutil.copy(template, database)
    environment = _environment(root, database, media_url, api_url)
    stats_file, before_file = root / "claim.pstats", root / "before.pstats"
    environment["BENCH_PROFILE_FILE"] = str(stats_file)
    server, url = _gunicorn(
        root, environment, app="bench.profiled_wsgi:application", workers=1, threads=1
    )
    try:
        tablet = Tablet(url, database)
        tablet.sign_in_and_unlock()
        _file_claim(tablet, server.pid, dict.fromkeys(PHASES, 0.0))  # to warm up
        # The profiler's totals are written before each answer: what they are now is
        # taken off what they are after the claim.
        tablet.get("/healthz")
        shutil.copy(stats_file, before_file)
        _file_claim(tablet, server.pid, dict.fromkeys(PHASES, 0.0))
    finally:
        _stop(server)
    return _shares(pstats.Stats(str(stats_file)), pstats.Stats(str(before_file)))


def _shares(after: pstats.Stats, before: pstats.Stats) -> dict:
    """One claim's functions: the difference between two dumps of the same profiler."""
    own: dict[tuple, tuple[float, float]] = {}
    for function, (_, _, tottime, cumtime, _) in after.stats.items():
        previous = before.stats.get(function, (0, 0, 0.0, 0.0, {}))
        own[function] = (tottime - previous[2], cumtime - previous[3])
    total = sum(tottime for tottime, _ in own.values())

    def label(function: tuple) -> str:
        filename, line, name = function
        short = filename.split("site-packages/")[-1].split(str(harness.REPO_ROOT) + "/")[-1]
        return f"{short}:{line}({name})" if filename != "~" else name

    shares = dict.fromkeys(SHARES, 0.0)
    for function, (tottime, _) in own.items():
        where = f"{function[0]} {function[2]}"
        for share, patterns in SHARES.items():
            if any(pattern in where for pattern in patterns):
                shares[share] += tottime
                break
    by_self = sorted(own.items(), key=lambda item: item[1][0], reverse=True)[:15]
    # Our views, steps and services (the middleware wraps every request: it says nothing).
    ours = [
        item
        for item in own.items()
        if "/kiosk/" in item[0][0] and "/kiosk/middleware" not in item[0][0]
    ]
    by_cumulative = sorted(ours, key=lambda item: item[1][1], reverse=True)[:12]
    return {
        "profiled_seconds": total,
        "shares": {share: seconds / total for share, seconds in shares.items()} if total else {},
        "top_self": [(label(f), round(t, 4)) for f, (t, _) in by_self],
        "top_kiosk_cumulative": [(label(f), round(c, 4)) for f, (_, c) in by_cumulative],
    }


# -- helpers --------------------------------------------------------------------------------


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _media_server:
    """MEDIA_ROOT's parent over HTTP, so that /media/... is what the API fetches."""

    def __init__(self, www: Path):
        (www / "media").mkdir(parents=True, exist_ok=True)
        handler = functools.partial(_Quiet, directory=str(www))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _result(measured: dict, profile: dict, claims: int) -> harness.BenchResult:
    persistent, per_request = (measured[mode] for mode in MODES)
    rows = [("claims per run", f"{claims} (after {WARM_UP_CLAIMS} to warm up)")]
    for mode, figures in measured.items():
        phases = ", ".join(f"{p} {figures['by_phase'][p]:.3f}" for p in PHASES)
        rows.append((mode, f"{figures['cpu_seconds_per_claim']:.3f} CPU-s a claim ({phases})"))
    ratio = per_request["cpu_seconds_per_claim"] / persistent["cpu_seconds_per_claim"]
    rows.append(("a connection per request / persistent", f"{ratio:.2f}×"))
    if profile.get("shares"):
        rows.append(("profiled claim (1 worker, 1 thread)", f"{profile['profiled_seconds']:.3f} s"))
        for share, fraction in profile["shares"].items():
            rows.append((f"  {share}", f"{fraction:.0%}"))
        for name, seconds in profile["top_self"][:10]:
            rows.append((f"  self {seconds:.3f} s", name))
        for name, seconds in profile["top_kiosk_cumulative"][:8]:
            rows.append((f"  ours, cumulative {seconds:.3f} s", name))
    errors = persistent["errors"] + per_request["errors"]
    verdict = (
        f"{'PASS' if ratio >= 1.0 and not errors else 'FAIL'}: persistent connections cost no "
        f"more CPU a claim than a connection per request ({ratio:.2f}×)"
    )
    data = {"modes": measured, "ratio_per_request_to_persistent": ratio, "profile": profile}
    return harness.BenchResult(NAME, rows, data, verdict, errors)
