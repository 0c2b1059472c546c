"""Page weight at the counter: bytes a tablet downloads for the first claim step.

The portal runs as `make run` serves it (gunicorn, DEBUG off, static files collected,
compressed and cached by WhiteNoise) and, as the baseline in the same run, as `make dev`
does (DEBUG on). Debian's chromium logs in as the demo associate, starts a claim, then
opens the first step with an empty cache (first load) and once more (repeat load); the
bytes are what crossed the network (CDP's encodedDataLength, headers included).
Targets: first load at most 100 KB, repeat load at most 10 KB.
"""

import socket
import subprocess
import sys
import tempfile
import time

import requests

from bench import harness

NAME = "page_weight"
DEFAULT_CLAIMS = 1  # not used: one claim is started
CHROMIUM = "/usr/bin/chromium"
FIRST_LOAD_MAX = 100_000
REPEAT_LOAD_MAX = 10_000
MODES = {
    "make run (production)": {"DEBUG": "false"},
    "make dev (baseline)": {"DEBUG": "true"},
}


def run(*, claims: int = DEFAULT_CLAIMS) -> harness.BenchResult:
    measured = {mode: _measure(overrides) for mode, overrides in MODES.items()}
    production, baseline = measured["make run (production)"], measured["make dev (baseline)"]
    rows = [("page (first / repeat load)", " | ".join(MODES))]
    rows.append(
        (
            "first claim step",
            " | ".join(f"{m['first']:,} B / {m['repeat']:,} B" for m in measured.values()),
        )
    )
    rows.append(("  first load, smaller by", f"{baseline['first'] / production['first']:.1f}×"))
    rows.append(
        ("  repeat load, smaller by", f"{baseline['repeat'] / max(production['repeat'], 1):.1f}×")
    )
    met = production["first"] <= FIRST_LOAD_MAX and production["repeat"] <= REPEAT_LOAD_MAX
    verdict = (
        f"{'PASS' if met else 'FAIL'}: first load ≤ {FIRST_LOAD_MAX:,} B and repeat load "
        f"≤ {REPEAT_LOAD_MAX:,} B under make run"
    )
    return harness.BenchResult(NAME, rows, measured, verdict)


def _measure(overrides: dict[str, str]) -> dict[str, int]:
    with tempfile.TemporaryDirectory(prefix="claims-portal-weight-") as directory:
        port = _free_port()
        environment = harness.production_env(
            database_url=f"sqlite:///{directory}/bench.sqlite3",
            media_root=f"{directory}/media",
            public_media_url=f"http://127.0.0.1:{port}",
            STATIC_ROOT=f"{directory}/static",
            **overrides,
        )
        manage = [sys.executable, "manage.py"]
        for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
            subprocess.run(manage + command, cwd=harness.REPO_ROOT, env=environment, check=True)
        subprocess.run(
            [*manage, "seed_demo", "--allow-production"],
            cwd=harness.REPO_ROOT,
            env=environment,
            check=True,
            capture_output=True,
        )
        server = subprocess.Popen(
            harness.gunicorn_command(bind=f"127.0.0.1:{port}"),
            cwd=harness.REPO_ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_for(url)
            return _loads(url)
        finally:
            server.terminate()
            server.wait(timeout=10)


def _loads(url: str) -> dict[str, int]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-quic"],
        )
        setup = browser.new_context(base_url=url)
        page = setup.new_page()
        page.goto("/accounts/login/")
        page.fill("#id_username", "associate")
        page.fill("#id_password", "associate-demo-1")
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("button", name="Start a new claim").click()
        page.wait_for_url("**/steps/customer/")
        step_url = page.url
        cookies = setup.cookies()
        setup.close()

        tablet = browser.new_context(base_url=url, viewport={"width": 820, "height": 1180})
        tablet.add_cookies(cookies)
        page = tablet.new_page()
        transferred = _network_meter(tablet, page)
        page.goto(step_url, wait_until="load")
        page.wait_for_load_state("networkidle")
        first = transferred.pop()
        page.goto(step_url, wait_until="load")
        page.wait_for_load_state("networkidle")
        repeat = transferred.pop()
        browser.close()
    return {"first": first, "repeat": repeat}


class _Meter:
    def __init__(self):
        self.total = 0

    def pop(self) -> int:
        total, self.total = self.total, 0
        return total


def _network_meter(context, page) -> _Meter:
    meter = _Meter()
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.on(
        "Network.loadingFinished",
        lambda event: setattr(meter, "total", meter.total + int(event["encodedDataLength"])),
    )
    return meter


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str) -> None:
    for _ in range(100):
        try:
            requests.get(url + "/healthz", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"the portal did not start at {url}")
