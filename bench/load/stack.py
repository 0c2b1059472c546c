"""The production shape the load benchmark drives, each process started and stopped by PID.

PostgreSQL (a throwaway cluster, tests/postgres_cluster.py), a redis-server, the portal on
PostgreSQL with ``TASKS_BACKEND=redis`` and DEBUG off, its static files collected, real
``manage.py delivery_worker`` processes, the sandbox as its own process (``python -m
sandbox``, with latency on every claim, webhooks back to the portal), and the web tier
(``web_tier``: gunicorn as ``make run`` runs it). The sandbox fetches the claims' photos
from the portal over HTTP, as OrderProtection does.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import (
    SetupError,
    gunicorn_command,
    live_redis,
    manage,
    production_env,
)
from tests.postgres_cluster import PostgresCluster, PostgresClusterError

REPO_ROOT = Path(__file__).resolve().parents[2]
SANDBOX_TOKEN = "load-sandbox-token"
WEBHOOK_SECRET = "load-webhook-secret"
STOP_GRACE_SECONDS = 15.0
# `make run`'s gunicorn: 2 workers of 4 threads.
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4
MEDIA_WORKERS = 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Processes:
    """What this run started: each stopped by its PID (SIGTERM, then SIGKILL), last first."""

    run_dir: Path
    started: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        with (self.run_dir / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                argv, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self.started.append((name, process))
        return process

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.run_dir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> None:
        for name, process in reversed(self.started):
            if process.poll() is None:
                # gunicorn's quick shutdown: the run is over, nothing is left to finish.
                process.send_signal(signal.SIGINT if name == "gunicorn" else signal.SIGTERM)
        give_up_at = time.monotonic() + STOP_GRACE_SECONDS
        for _name, process in reversed(self.started):
            try:
                process.wait(timeout=max(0.1, give_up_at - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.started.clear()


@dataclass
class Shape:
    """The running stack: where to reach it and which PIDs do the work."""

    portal_url: str
    sandbox_url: str
    env: dict[str, str]
    tablets_file: Path
    web_master: subprocess.Popen
    workers: list[subprocess.Popen]
    processes: Processes
    topology: str

    def web_worker_pids(self) -> list[int]:
        return children_of(self.web_master.pid)

    def worker_pids(self) -> list[int]:
        return [worker.pid for worker in self.workers]

    def sandbox_faults(self, plan: dict) -> None:
        """Replace the sandbox's fault plan (its control API, PUT /__sandbox__/faults)."""
        request = urllib.request.Request(
            self.sandbox_url + "/__sandbox__/faults",
            data=json.dumps(plan).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()

    def sandbox_get(self, path: str):
        with urllib.request.urlopen(self.sandbox_url + path, timeout=30) as answer:
            return json.loads(answer.read())


def portal_env(
    *, database_url: str, redis_url: str, portal_url: str, sandbox_url: str, run_dir: Path
) -> dict[str, str]:
    """The portal's production environment (harness.production_env), behind the front, on
    PostgreSQL with the Redis task backend and webhooks from the sandbox."""
    return production_env(
        database_url=database_url,
        media_root=run_dir / "media",
        public_media_url=portal_url,
        api_url=sandbox_url,
        api_token=SANDBOX_TOKEN,
        inherit=True,
        TRUSTED_PROXY_COUNT="1",  # behind the front, as under `make run`
        TASKS_BACKEND="redis",
        REDIS_URL=redis_url,
        ORDERPROTECTION_WEBHOOK_SECRET=WEBHOOK_SECRET,
        PORTAL_BASE_URL=portal_url,
        EMAIL_URL=f"filemail:///{run_dir / 'outbox'}",
        PYTHONUNBUFFERED="1",
    )


def web_tier(
    processes: Processes,
    env: dict[str, str],
    *,
    port: int,
    media_workers: int = MEDIA_WORKERS,
) -> tuple[subprocess.Popen, str]:
    """The web tier on ``port`` as `make run` serves it; returns the app pool's master (the
    pool whose workers are profiled and whose CPU is counted) and a one-line description.

    nginx (claims_portal/front.py) listens on ``port``, reads whole requests and serves
    the static files; gunicorn's app pool answers the pages, and a media pool of its own
    (``media_workers`` processes; with 0, none: the app pool serves them too) the photos
    the sandbox fetches (claims_portal/supervisord/run.conf).
    """
    app = f"127.0.0.1:{free_port()}"
    pool = gunicorn_command(bind=app, workers=GUNICORN_WORKERS, threads=GUNICORN_THREADS)
    master = processes.spawn("gunicorn", pool, env)
    app_pool = f"gunicorn ({GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads)"
    topology = f"nginx in front of {app_pool}"
    media = app
    if media_workers:
        media = f"127.0.0.1:{free_port()}"
        pool = gunicorn_command(bind=media, workers=media_workers, threads=GUNICORN_THREADS)
        processes.spawn("gunicorn-media", pool, env)
        topology += f" and a media pool ({media_workers} x {GUNICORN_THREADS})"
    front = [sys.executable, "-m", "claims_portal.front", "--listen", f"127.0.0.1:{port}"]
    front += ["--app", app, "--media", media]
    static_root = REPO_ROOT / "staticfiles"
    if not static_root.is_dir():  # not collected (the test): nginx passes static to the app
        static_root = processes.run_dir / "static"
        static_root.mkdir(exist_ok=True)
    front += ["--static-root", str(static_root)]
    front += ["--run-dir", str(processes.run_dir / "front"), "--access-log", "off"]
    processes.spawn("front", front, env)
    return master, topology


def static_files_fresh() -> bool:
    """Whether `collectstatic` has run since the last change to our static files, the
    node packages or the requirements: it takes minutes (WhiteNoise compresses every file
    again), so a run reuses STATIC_ROOT (staticfiles/, as `make run`) when it is fresh."""
    manifest = REPO_ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return False
    sources = [REPO_ROOT / "requirements.txt", REPO_ROOT / "package-lock.json"]
    sources += [path for path in (REPO_ROOT / "static").rglob("*") if path.is_file()]
    newest = max(path.stat().st_mtime for path in sources if path.exists())
    return manifest.stat().st_mtime > newest


@contextmanager
def production_shape(
    *,
    run_dir: Path,
    tablets: int,
    api_latency_ms: int,
    workers: int = 2,
    database_url: str | None = None,
    static_files: bool = True,
) -> Iterator[Shape]:
    """Start everything, seed ``tablets`` tablets, yield the running ``Shape``; stop it all.

    ``database_url``: a migrated database to use (a test's), instead of a throwaway
    PostgreSQL cluster of our own. ``static_files=False``: no `collectstatic`, and pages
    link static files without the manifest (the tablets do not fetch them).
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    processes = Processes(run_dir)
    with ExitStack() as stack:
        migrate = database_url is None
        if database_url is None:
            try:
                cluster = PostgresCluster().start()
            except PostgresClusterError as error:
                raise SetupError(str(error)) from error
            stack.callback(cluster.stop)
            database_url = cluster.url
        redis_url = stack.enter_context(live_redis())
        stack.callback(processes.stop)
        port, sandbox_port = free_port(), free_port()
        portal_url, sandbox_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}"
        env = portal_env(
            database_url=database_url,
            redis_url=redis_url,
            portal_url=portal_url,
            sandbox_url=sandbox_url,
            run_dir=run_dir,
        )
        if migrate:
            manage(env, "manage.py", "migrate", "--noinput", "-v0")
        if not static_files:
            env["STATICFILES_BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
        elif not static_files_fresh():
            manage(env, "manage.py", "collectstatic", "--noinput", "-v0")
        tablets_file = run_dir / "tablets.json"
        manage(
            env,
            "-m",
            "bench.load.seed",
            "seed",
            "--tablets",
            str(tablets),
            "--out",
            str(tablets_file),
        )

        sandbox = [
            sys.executable,
            "-m",
            "sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            str(sandbox_port),
        ]
        sandbox += ["--token", SANDBOX_TOKEN, "--latency-ms", str(api_latency_ms)]
        sandbox += ["--webhook-url", portal_url + "/webhooks/orderprotection"]
        sandbox += ["--webhook-secret", WEBHOOK_SECRET]
        processes.spawn("sandbox", sandbox, env)
        worker_processes = [
            processes.spawn(f"worker-{n}", [sys.executable, "manage.py", "delivery_worker"], env)
            for n in range(workers)
        ]
        master, topology = web_tier(processes, env, port=port)
        _wait_for(sandbox_url + "/__sandbox__/health", processes, "sandbox")
        _wait_for(portal_url + "/healthz", processes, "gunicorn")
        _wait_until(lambda: len(children_of(master.pid)) >= GUNICORN_WORKERS, "gunicorn workers")
        _wait_until(
            lambda: all(
                "Listening on" in processes.log_tail(f"worker-{n}") for n in range(workers)
            ),
            "delivery workers",
        )
        yield Shape(
            portal_url=portal_url,
            sandbox_url=sandbox_url,
            env=env,
            tablets_file=tablets_file,
            web_master=master,
            workers=worker_processes,
            processes=processes,
            topology=topology,
        )


def _wait_for(url: str, processes: Processes, name: str, timeout: float = 60) -> None:
    give_up_at = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > give_up_at:
            raise SetupError(
                f"{name} did not answer {url} within {timeout:.0f} s:\n{processes.log_tail(name)}"
            )
        time.sleep(0.2)


def _wait_until(ready, what: str, timeout: float = 60) -> None:
    give_up_at = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > give_up_at:
            raise SetupError(f"{what} did not start within {timeout:.0f} s")
        time.sleep(0.2)


def children_of(pid: int) -> list[int]:
    """The PIDs of a process's children (gunicorn's workers), from /proc."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds each process has used so far (/proc/PID/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used
