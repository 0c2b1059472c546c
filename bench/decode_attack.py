"""The image decoding attack of issue 21, against the portal as `make run` serves it.

nginx in front (claims_portal/front.py) before gunicorn with 2 workers × 4 threads, DEBUG
off, SQLite in a temp dir (static files unhashed: collectstatic's compression takes
minutes and no page is measured). A signed-in
associate sends 8 requests at once, each carrying 10 PNGs of 39.7 megapixels (under the
40 MP cap, about 7 MB each: made once, kept in /tmp), to the background photo upload of
8 claims; meanwhile /healthz is asked every 200 ms. Reported: the slowest /healthz, the
peak memory (VmHWM) of each gunicorn worker, and what the uploads were answered, with
no limits (IMAGE_DECODE_CONCURRENCY and REQUEST_LARGE_CONCURRENCY 0, the baseline) and
at their defaults, in the same run.

Goals, at the default: /healthz answers within 1 s, and each worker stays under
    base + IMAGE_DECODE_CONCURRENCY × IMAGE_MAX_PIXELS × 4 B × 1.5 + threads × UPLOAD_MAX_BYTES
(base: the worker's VmRSS after it served its first pages; Pillow keeps RGB in 4 bytes a
pixel, and a decode's thumbnail steps take about half as much again, measured; each
thread holds one uploaded file in memory while it is decoded).
"""

import multiprocessing
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path

import requests

from bench import harness
from bench.load import stack

NAME = "decode_attack"
DEFAULT_CLAIMS = 8  # parallel requests, one claim each
PHOTOS_PER_REQUEST = 10
SIDE = (7720, 5140)  # 39.7 MP
ATTACK_PNG = Path(tempfile.gettempdir()) / "claims-portal-decode-attack-39.7mp.png"
WORKERS, THREADS = stack.GUNICORN_WORKERS, stack.GUNICORN_THREADS  # `make run`'s
HEALTH_EVERY = 0.2
HEALTH_GOAL_SECONDS = 1.0
BYTES_PER_PIXEL = 4
DECODE_OVERHEAD = 1.5
LOGIN = ("associate", "associate-demo-1")


def run(*, claims: int = DEFAULT_CLAIMS) -> harness.BenchResult:
    from django.conf import settings

    photo = attack_png()
    default = settings.IMAGE_DECODE_CONCURRENCY
    modes = {"no limits (baseline)": 0, f"defaults ({default} decode)": default}
    # The baseline without the cap on requests of several photos either.
    unlimited = {"REQUEST_LARGE_CONCURRENCY": "0"}
    measured = {
        mode: _measure(concurrency, claims, photo, **(unlimited if concurrency == 0 else {}))
        for mode, concurrency in modes.items()
    }
    baseline, limited = measured.values()

    def ceiling(concurrency: int, base: float) -> float:
        decode = settings.IMAGE_MAX_PIXELS * BYTES_PER_PIXEL * DECODE_OVERHEAD
        return base + concurrency * decode + THREADS * settings.UPLOAD_MAX_BYTES

    limit_mb = ceiling(default, limited["base_rss"]) / 2**20
    rows = [("", " | ".join(modes))]
    rows.append(
        ("slowest /healthz", " | ".join(f"{m['slowest_health']:.2f} s" for m in measured.values()))
    )
    rows.append(
        (
            "  past the first 2 s",
            " | ".join(f"{m['slowest_health_after_2s']:.2f} s" for m in measured.values()),
        )
    )
    rows.append(("/healthz polls", " | ".join(str(m["health_polls"]) for m in measured.values())))
    rows.append(
        (
            "peak RSS per worker (VmHWM)",
            " | ".join(
                ", ".join(f"{mb:.0f} MB" for mb in m["peak_rss_mb"]) for m in measured.values()
            ),
        )
    )
    rows.append(
        (
            "worker base RSS",
            " | ".join(f"{m['base_rss'] / 2**20:.0f} MB" for m in measured.values()),
        )
    )
    rows.append(("memory ceiling (default)", f"{limit_mb:.0f} MB per worker"))
    rows.append(("uploads answered", " | ".join(_answers(m["answers"]) for m in measured.values())))
    rows.append(("attack lasted", " | ".join(f"{m['seconds']:.1f} s" for m in measured.values())))
    health_ok = limited["slowest_health"] <= HEALTH_GOAL_SECONDS
    memory_ok = max(limited["peak_rss_mb"]) <= limit_mb
    rows.append(
        (
            "slowest /healthz, baseline ÷ default",
            f"{baseline['slowest_health'] / max(limited['slowest_health'], 1e-3):.0f}×",
        )
    )
    verdict = (
        f"{'PASS' if health_ok and memory_ok else 'FAIL'}: at the default, the slowest /healthz "
        f"{limited['slowest_health']:.2f} s (goal ≤ {HEALTH_GOAL_SECONDS:.0f} s) and the largest "
        f"worker {max(limited['peak_rss_mb']):.0f} MB (ceiling {limit_mb:.0f} MB)"
    )
    errors = [f"{mode}: {e}" for mode, m in measured.items() for e in m["errors"]]
    return harness.BenchResult(
        name=NAME,
        rows=rows,
        data={"modes": measured, "ceiling_mb": limit_mb, "requests": claims},
        verdict=verdict,
        errors=errors,
    )


def _answers(answers: dict[str, int]) -> str:
    return ", ".join(f"{count}× {status}" for status, count in sorted(answers.items()))


def attack_png() -> bytes:
    """A 39.7 MP PNG of about 7 MB (smooth gradients, sparse noise), made once."""
    if not ATTACK_PNG.exists():
        import numpy as np
        from PIL import Image

        width, height = SIDE
        x = np.linspace(0, 255, width, dtype=np.float32)
        y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
        pixels = np.empty((height, width, 3), np.uint8)
        pixels[..., 0] = (x + y) / 2
        pixels[..., 1] = y
        pixels[..., 2] = x
        noise = np.random.default_rng(1).random((height, width, 1)) < 0.05
        pixels += noise.astype(np.uint8)
        partial = ATTACK_PNG.with_suffix(".partial")
        Image.fromarray(pixels).save(partial, format="PNG")
        partial.rename(ATTACK_PNG)
    return ATTACK_PNG.read_bytes()


def _measure(concurrency: int, requests_at_once: int, photo: bytes, **extra: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="claims-portal-decode-attack-") as directory:
        port = stack.free_port()
        environment = harness.production_env(
            database_url=f"sqlite:///{directory}/bench.sqlite3",
            media_root=f"{directory}/media",
            public_media_url=f"http://127.0.0.1:{port}",
            STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
            LOG_LEVEL="ERROR",
            IMAGE_DECODE_CONCURRENCY=str(concurrency),
            TMPDIR=directory,  # uploads spooled to disk go with the rest
            **extra,
        )
        for command in (["migrate", "--noinput", "-v0"], ["seed_demo", "--allow-production"]):
            harness.manage(environment, "manage.py", *command, timeout=None)
        # As `make run` serves: nginx in front (it reads each whole body before gunicorn
        # sees it), gunicorn behind it; no media pool (no photo is fetched here).
        processes = stack.Processes(Path(directory))
        try:
            server, _ = stack.web_tier(processes, environment, port=port, media_workers=0)
            url = f"http://127.0.0.1:{port}"
            _wait_for(url)
            return _attack(url, server.pid, requests_at_once, photo)
        finally:
            processes.stop()


def _attack(url: str, master: int, requests_at_once: int, photo: bytes) -> dict:
    session = requests.Session()
    session.get(f"{url}/accounts/login/", timeout=30)
    session.post(
        f"{url}/accounts/login/",
        data={"username": LOGIN[0], "password": LOGIN[1]},
        headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": url},
        timeout=30,
    )
    home = session.get(f"{url}/", timeout=30).text
    store = re.search(r'name="store" value="(\d+)"', home).group(1)
    uploads = []
    for _ in range(requests_at_once):
        started = session.post(
            f"{url}/claims/new/",
            data={"store": store},
            headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": url},
            timeout=30,
        )
        reference = re.search(r"/claims/([^/]+)/", started.url).group(1)
        uploads.append(f"{url}/claims/{reference}/photos/")
    for _ in range(4 * WORKERS):  # every worker has served pages: its base memory
        requests.get(f"{url}/healthz", timeout=30)
    workers = _children(master)
    base_rss = max(_status_kb(pid, "VmRSS") for pid in workers) * 1024

    errors: list[str] = []

    def upload(target: str) -> str:
        files = [
            ("photo", (f"attack-{n}.png", photo, "image/png")) for n in range(PHOTOS_PER_REQUEST)
        ]
        try:
            answer = session.post(
                target,
                data={"kind": "item"},
                files=files,
                headers={
                    "X-CSRFToken": session.cookies["csrftoken"],
                    "Referer": url,
                    "X-Kiosk-Automatic": "1",
                },
                timeout=600,
            )
        except requests.RequestException as error:
            return f"no answer ({type(error).__name__})"
        return str(answer.status_code)

    # /healthz is asked from a process of its own: the uploads' threads build 70 MB bodies
    # in this one, and would hold up a poller that shared their interpreter lock.
    polls = Path(tempfile.mkdtemp(prefix="claims-portal-healthz-")) / "polls.txt"
    spawn = multiprocessing.get_context("spawn")
    stop = spawn.Event()
    started = time.monotonic()
    poller = spawn.Process(target=poll_health, args=(url, started, stop, str(polls)))
    poller.start()
    with ThreadPoolExecutor(requests_at_once) as pool:
        statuses = list(pool.map(upload, uploads))
    seconds = time.monotonic() - started
    time.sleep(1.0)  # /healthz once more after the attack
    stop.set()
    poller.join(timeout=180)
    health_at, health = [], []
    for line in polls.read_text().splitlines():
        at, took = map(float, line.split())
        health_at.append(at)
        health.append(took)
    shutil.rmtree(polls.parent)
    peaks = [_status_kb(pid, "VmHWM") / 1024 for pid in workers]
    answers: dict[str, int] = {}
    for status in statuses:
        answers[status] = answers.get(status, 0) + 1
    if any(
        not status.isdigit() or status.startswith("5") and status != "503" for status in statuses
    ):
        errors.append(f"unexpected answers to the uploads: {answers}")
    return {
        "slowest_health": max(health),
        # Past the first 2 s, when every thread is still receiving its 70 MB body.
        "slowest_health_after_2s": max(
            (h for at, h in zip(health_at, health, strict=True) if at > 2.0), default=0.0
        ),
        "health_polls": len(health),
        # The slowest polls: [seconds into the attack, seconds to answer].
        "slowest_polls": sorted(zip(health_at, health, strict=True), key=lambda p: -p[1])[:5],
        "peak_rss_mb": sorted(peaks, reverse=True),
        "base_rss": base_rss,
        "answers": answers,
        "seconds": seconds,
        "errors": errors,
    }


def poll_health(url: str, started: float, stop, path: str) -> None:
    """Ask /healthz every HEALTH_EVERY s until `stop`; each line of `path`: seconds into the
    attack, seconds to answer (unanswered for 120 s, as the baseline can be: 120)."""
    with open(path, "w") as out:
        while not stop.is_set():
            asked = time.monotonic()
            with suppress(requests.RequestException):
                requests.get(f"{url}/healthz", timeout=120)
            out.write(f"{asked - started} {time.monotonic() - asked}\n")
            out.flush()
            time.sleep(max(0.0, HEALTH_EVERY - (time.monotonic() - asked)))


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if _status_kb(int(entry.name), "PPid") == pid:
                    children.append(int(entry.name))
            except (OSError, ValueError):
                continue
    return children


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise ValueError(field)


def _wait_for(url: str) -> None:
    for _ in range(600):
        with suppress(requests.RequestException):
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise harness.SetupError("gunicorn did not answer")
