"""Real worker processes for tests: `manage.py delivery_worker` against the test database."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

REPO_ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """DATABASE_URL of the database this process uses now: the test database, in a test."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    if connection.vendor == "postgresql":
        user = quote(database["USER"] or "", safe="")
        if database["PASSWORD"]:
            user += ":" + quote(database["PASSWORD"], safe="")
        host = quote(database["HOST"] or "", safe="")
        port = f":{database['PORT']}" if database["PORT"] else ""
        return f"postgres://{user}@{host}{port}/{quote(database['NAME'], safe='')}"
    raise NotImplementedError(f"worker processes cannot reach a {connection.vendor} database")


def worker_env(*, api_url: str, **extra: str) -> dict[str, str]:
    """The environment of a worker that shares this test run's database and media."""
    env = os.environ.copy()
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "claims_portal.settings",
            "DEBUG": "true",
            "DATABASE_URL": database_url(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "ORDERPROTECTION_API_URL": api_url,
            "ORDERPROTECTION_API_TOKEN": "sandbox-token",
            "DELIVERY_BACKOFF_BASE": str(settings.DELIVERY_BACKOFF_BASE),
            "DELIVERY_BACKOFF_CAP": str(settings.DELIVERY_BACKOFF_CAP),
            "DELIVERY_LOOKUP_DELAY": str(settings.DELIVERY_LOOKUP_DELAY),
            "DELIVERY_IN_FLIGHT_PAUSE": str(settings.DELIVERY_IN_FLIGHT_PAUSE),
            # Claims of one test run are seconds apart: no need to search minutes back.
            "DELIVERY_LOOKUP_CLOCK_SKEW": "2",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            # At the test run's priority: `make test` runs its passes side by side, and a
            # test waits for what its worker does.
            "DELIVERY_WORKER_NICE": "0",
        }
    )
    env.update(extra)
    return env


class Processes:
    """Processes a test starts, each logging to a file of its own in ``log_dir``; each
    stopped by its PID afterwards, the last started first (TERM, then KILL)."""

    # The logs that `logs()` reads: every file of this pattern below ``log_dir``.
    log_pattern = "*.log"

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []

    def spawn(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        with open(self.log_dir / f"{name}.log", "wb") as log:
            process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.log_dir.rglob(self.log_pattern))
        )


class WorkerPool(Processes):
    """Start, kill and stop `manage.py delivery_worker` processes."""

    log_pattern = "worker-*.log"

    def __init__(self, env: dict[str, str], log_dir: Path):
        super().__init__(log_dir)
        self.env = env

    def start(self, count: int = 1) -> list[subprocess.Popen]:
        command = [sys.executable, "manage.py", "delivery_worker"]
        return [
            self.spawn(f"worker-{len(self.processes)}", command, self.env) for _ in range(count)
        ]


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, poll: float = 0.1):
    give_up_at = time.monotonic() + timeout
    while time.monotonic() < give_up_at:
        if condition():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
