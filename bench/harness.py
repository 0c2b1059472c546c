"""Shared set-up for the benchmarks.

A throwaway Django (test settings, a fresh SQLite file or PostgreSQL cluster, and a
media directory in a temp dir), the portal served over real HTTP in a thread, the sandbox API, a
redis-server, real delivery worker processes, ready-made claims, and small timing
and reporting helpers.

Django can be set up only once per process, so ``setup_django()`` is idempotent and
every benchmark run by ``python -m bench`` shares one workspace; a benchmark that
measures another database does so in a process of its own.
"""

import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.postgres_cluster import PostgresCluster, PostgresClusterError

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
SETTINGS_MODULE = "claims_portal.settings_test"
SANDBOX_TOKEN = "sandbox-token"


class SetupError(RuntimeError):
    """Something a benchmark needs outside Python could not be started (redis, a worker)."""


# -- Django workspace ----------------------------------------------------------------------


DATABASES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Workspace:
    """Where the throwaway database and media files live."""

    root: Path
    database: str  # "sqlite" or "postgresql"
    database_url: str
    media_root: Path
    # Empty temp dirs that importing settings_test made; removed on teardown.
    unused_dirs: tuple[Path, ...] = ()
    # On PostgreSQL, the throwaway cluster the database lives in.
    cluster: PostgresCluster | None = None


_workspace: Workspace | None = None


def setup_django(database: str | None = None) -> Workspace:
    """Set Django up on a throwaway database and media dir, and migrate it (once).

    ``database`` is "sqlite" (a temp file, the default) or "postgresql" (a throwaway
    cluster of its own). Without it, returns the workspace already set up, if any.
    Raises ``SetupError`` if PostgreSQL cannot start, or if this process is already
    set up on the other database: Django sets its databases up once per process.
    """
    global _workspace
    if _workspace is not None:
        if database not in (None, _workspace.database):
            raise SetupError(f"this process is already set up on {_workspace.database}")
        return _workspace
    database = database or "sqlite"
    if database not in DATABASES:
        raise ValueError(f"database {database!r} is not one of {', '.join(DATABASES)}")

    root = Path(tempfile.mkdtemp(prefix="claims-portal-bench-"))
    cluster = None
    try:
        if database == "postgresql":
            cluster = _start_postgres()
        database_url = cluster.url if cluster else f"sqlite:///{root / 'bench.sqlite3'}"
        _workspace = _setup_django(root, database, database_url, cluster)
    except BaseException:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
        raise
    return _workspace


def _setup_django(
    root: Path, database: str, database_url: str, cluster: PostgresCluster | None
) -> Workspace:
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    # Through the environment, so the portal's own database options apply.
    os.environ["DATABASE_URL"] = database_url
    import django
    from django.conf import settings

    unused_dirs = [Path(settings.MEDIA_ROOT), Path(settings.STATIC_ROOT)]
    if sqlite_test_file := settings.DATABASES["default"].get("TEST", {}).get("NAME"):
        unused_dirs.append(Path(sqlite_test_file).parent)
    workspace = Workspace(
        root=root,
        database=database,
        database_url=database_url,
        media_root=root / "media",
        unused_dirs=tuple(unused_dirs),
        cluster=cluster,
    )
    workspace.media_root.mkdir()

    # Before django.setup(): the URLconf binds MEDIA_ROOT when it is imported, and
    # the database settings are read on first use.
    settings.MEDIA_ROOT = str(workspace.media_root)
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    settings.SERVE_MEDIA = True
    # One "Claim ... filed" line per claim would drown the report.
    settings.LOGGING["loggers"]["kiosk"]["level"] = "WARNING"
    django.setup()

    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return workspace


def _start_postgres() -> PostgresCluster:
    try:
        return PostgresCluster().start()
    except PostgresClusterError as error:
        raise SetupError(str(error)) from error


def teardown_django() -> None:
    """Close database connections and delete the workspace (and cluster), if one was made."""
    global _workspace
    if _workspace is None:
        return
    from django.db import connections

    connections.close_all()
    if _workspace.cluster is not None:
        _workspace.cluster.stop()
    shutil.rmtree(_workspace.root, ignore_errors=True)
    for directory in _workspace.unused_dirs:
        if directory.is_relative_to(tempfile.gettempdir()):
            _remove_if_empty(directory)
    _workspace = None


def _remove_if_empty(directory: Path) -> None:
    with suppress(OSError):
        directory.rmdir()


# -- live servers --------------------------------------------------------------------------


@contextmanager
def live_portal(*, port: int = 0, static: bool = False) -> Iterator[str]:
    """Serve the whole portal (WSGI app, URLconf, middleware) on 127.0.0.1.

    Yields the base URL, e.g. ``http://127.0.0.1:41234``. Media is served by the
    portal's own ``SERVE_MEDIA`` route, so the sandbox fetches images as in ``make run``.
    ``port`` picks the port (a free one by default); ``static=True`` also serves the
    static files from their sources, as the browser tests' live_server does (nothing is
    collected here).
    """
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.core.wsgi import get_wsgi_application
    from django.test.testcases import QuietWSGIRequestHandler

    httpd = ThreadedWSGIServer(
        ("127.0.0.1", port), QuietWSGIRequestHandler, allow_reuse_address=False
    )
    application = get_wsgi_application()
    httpd.set_app(StaticFilesHandler(application) if static else application)
    thread = threading.Thread(
        target=httpd.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="bench-portal",
        daemon=True,
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@contextmanager
def live_sandbox(*, latency_ms: int = 0, fetch_images: bool = True, port: int = 0) -> Iterator[Any]:
    """The sandbox API on ``port`` (a free one by default) with ``latency_ms`` on every
    claim; yields it.

    ``fetch_images=False``: the sandbox does not fetch the claim's images, so only
    the API call itself is measured.
    """
    from sandbox import SandboxServer

    server = SandboxServer(port=port, tokens=(SANDBOX_TOKEN,), fetch_images=fetch_images).start()
    server.set_faults(latency_ms=latency_ms)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def portal_settings(*, portal_url: str, sandbox_url: str) -> Iterator[None]:
    """Point the portal's media URLs at ``portal_url`` and its API client at the sandbox."""
    from django.test import override_settings

    with override_settings(
        PUBLIC_MEDIA_BASE_URL=portal_url,
        ORDERPROTECTION_API_URL=sandbox_url,
        ORDERPROTECTION_API_TOKEN=SANDBOX_TOKEN,
    ):
        yield


@contextmanager
def live_redis(*, timeout: float = 10.0) -> Iterator[str]:
    """A real redis-server on a free port, without persistence; yields its URL.

    Like the ``redis_server`` fixture of tests/conftest.py. Raises ``SetupError`` if
    redis-server is not installed or does not answer within ``timeout`` seconds.
    """
    import redis

    executable = shutil.which("redis-server")
    if executable is None:
        raise SetupError(
            "redis-server is not installed: `make test` installs it (apt-get install redis-server)"
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="claims-portal-bench-redis-") as directory:
        process = subprocess.Popen(
            [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", directory],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        try:
            give_up_at = time.monotonic() + timeout
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError as error:
                    if time.monotonic() > give_up_at or process.poll() is not None:
                        raise SetupError(f"redis-server did not start on port {port}") from error
                    time.sleep(0.05)
            yield url
        finally:
            client.close()
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def rq_task_backend(redis_url: str) -> Iterator[None]:
    """Switch this process's task backend to RQ on ``redis_url``, and back afterwards.

    As the ``redis_tasks`` fixture of tests/conftest.py does: the settings the portal
    reads when ``TASKS_BACKEND=redis``, then the task backends are made anew.
    """
    from django.test import override_settings

    try:
        with override_settings(
            TASKS_BACKEND="redis",
            TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
            RQ_QUEUES={"default": {"URL": redis_url}},
            TASKS_ENQUEUE_ON_COMMIT=True,
        ):
            _reset_task_backends()
            yield
    finally:
        _reset_task_backends()


def _reset_task_backends() -> None:
    from asgiref.local import Local
    from django.tasks import task_backends

    task_backends.__dict__.pop("settings", None)
    task_backends._connections = Local(task_backends.thread_critical)


# -- the portal in processes of its own, as `make run` serves it ----------------------------

PRODUCTION_SECRET_KEY = "bench-only-" + "x" * 40


def production_env(
    *,
    database_url: str,
    media_root: Path | str,
    public_media_url: str,
    api_url: str | None = None,
    api_token: str = SANDBOX_TOKEN,
    inherit: bool = False,
    **extra: str,
) -> dict[str, str]:
    """The portal's production environment, as `make run` sets it: DEBUG off, plain HTTP
    (no HTTPS redirect, HSTS or secure cookies), any host; no .env is read.

    ``inherit``: start from this process's whole environment, else from PATH and HOME
    alone. ``api_url``: where ORDERPROTECTION_API_URL points, if anywhere. ``extra``: the
    bench's own settings, applied last (they may override any of these).
    """
    if inherit:
        env = os.environ.copy()
    else:
        env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    env.update(
        {
            "ENV_FILE": "/dev/null",
            "DJANGO_SETTINGS_MODULE": "claims_portal.settings",
            "DEBUG": "false",
            "SECRET_KEY": PRODUCTION_SECRET_KEY,
            "ALLOWED_HOSTS": "*",
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(media_root),
            "PUBLIC_MEDIA_BASE_URL": public_media_url,
            "ORDERPROTECTION_API_TOKEN": api_token,
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    if api_url is not None:
        env["ORDERPROTECTION_API_URL"] = api_url
    env.update(extra)
    return env


def gunicorn_command(
    *, bind: str, workers: int = 1, threads: int = 1, app: str = "claims_portal.wsgi"
) -> list[str]:
    """The command that serves ``app`` with gunicorn on ``bind`` (HOST:PORT), from REPO_ROOT.

    Without gunicorn's control socket: every gunicorn of a user shares its one path.
    """
    command = [sys.executable, "-m", "gunicorn", app, "--bind", bind, "--no-control-socket"]
    return command + ["--workers", str(workers), "--threads", str(threads)]


def manage(env: dict[str, str], *args: str, timeout: float | None = 600) -> None:
    """Run ``python ARGS`` (``"manage.py", "migrate", …``) from REPO_ROOT with ``env``;
    raises ``SetupError`` with the end of its output if it fails."""
    result = subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise SetupError(
            f"{' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
        )


# -- delivery workers ----------------------------------------------------------------------


# What `manage.py delivery_worker` prints once it is running, per TASKS_BACKEND.
WORKER_STARTED = {"database": "Starting worker", "redis": "Listening on"}
# db_worker sleeps up to 1 s after its start line (against a thundering herd).
WORKER_SETTLE_SECONDS = 1.5


def worker_env(*, api_url: str, redis_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a worker sharing the bench workspace (as tests/workers.py's).

    With ``redis_url`` the worker runs RQ on it, else django-tasks-db's db_worker.
    """
    workspace = setup_django()
    env = os.environ.copy()
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "claims_portal.settings",
            "DEBUG": "true",
            "DATABASE_URL": workspace.database_url,
            "MEDIA_ROOT": str(workspace.media_root),
            "ORDERPROTECTION_API_URL": api_url,
            "ORDERPROTECTION_API_TOKEN": SANDBOX_TOKEN,
            "TASKS_BACKEND": "database",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if redis_url is not None:
        env.update({"TASKS_BACKEND": "redis", "REDIS_URL": redis_url})
    env.update(extra)
    return env


@dataclass
class WorkerPool:
    """Running ``manage.py delivery_worker`` processes, each logging to a file of its own."""

    processes: list[subprocess.Popen]
    log_paths: list[Path]

    def log_text(self) -> str:
        """Every worker's whole log, one after the other."""
        return "\n".join(path.read_text(errors="replace") for path in self.log_paths)

    def log_tails(self, chars: int = 2000) -> str:
        """The end of each worker's log, for an error report."""
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-chars:]}"
            for path in self.log_paths
        )


@contextmanager
def delivery_workers(
    *, count: int, env: dict[str, str], timeout: float = 30.0
) -> Iterator[WorkerPool]:
    """Start ``count`` workers with ``env`` (see ``worker_env``) and wait until they are idle.

    Yields once each has printed its start line and settled. On exit each gets SIGTERM,
    then SIGKILL if it has not stopped within 10 s. Raises ``SetupError`` if a worker
    exits or stays silent for ``timeout`` seconds while starting.
    """
    log_dir = Path(tempfile.mkdtemp(prefix="workers-", dir=setup_django().root))
    started_line = WORKER_STARTED[env.get("TASKS_BACKEND", "database")]
    pool = WorkerPool(processes=[], log_paths=[])
    try:
        for number in range(count):
            path = log_dir / f"worker-{number}.log"
            with path.open("wb") as log:
                process = subprocess.Popen(
                    [sys.executable, "manage.py", "delivery_worker"],
                    cwd=REPO_ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            pool.processes.append(process)
            pool.log_paths.append(path)
        _wait_started(pool, started_line, timeout=timeout)
        time.sleep(WORKER_SETTLE_SECONDS)
        yield pool
    finally:
        _stop(pool.processes)


def _wait_started(pool: WorkerPool, started_line: str, *, timeout: float) -> None:
    give_up_at = time.monotonic() + timeout
    waiting = set(range(len(pool.processes)))
    while waiting:
        for number in sorted(waiting):
            if started_line in pool.log_paths[number].read_text(errors="replace"):
                waiting.discard(number)
            elif pool.processes[number].poll() is not None:
                raise SetupError(f"worker {number} exited while starting:\n{pool.log_tails()}")
        if waiting and time.monotonic() > give_up_at:
            raise SetupError(
                f"{len(waiting)} workers did not start within {timeout:.0f} s:\n{pool.log_tails()}"
            )
        time.sleep(0.05)


def _stop(processes: list[subprocess.Popen], *, grace: float = 10.0) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    give_up_at = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.0, give_up_at - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- data ----------------------------------------------------------------------------------


def make_associate(*, username: str = "bench-associate") -> tuple[Any, Any]:
    """An associate and a store they are a member of: ``(user, store)``."""
    from tests.factories import StoreFactory, UserFactory

    user = UserFactory(username=username, first_name="Bench")
    store = StoreFactory(name=f"Store of {username}", members=[user])
    return user, store


def make_complete_claims(*, store: Any, associate: Any, count: int) -> list[Any]:
    """``count`` claims ready to submit, each with an item, a receipt and a signature image.

    Built like the ``complete_claim`` fixture of tests/conftest.py.
    """
    from kiosk.models import ClaimAttachment
    from tests.factories import ClaimFactory
    from tests.images import image_bytes, signature_png

    item, receipt, signature = (
        image_bytes("JPEG"),
        image_bytes("JPEG", color="white"),
        signature_png(),
    )
    claims = []
    for _ in range(count):
        claim = ClaimFactory(store=store, created_by=associate)
        attach(claim, ClaimAttachment.Kind.ITEM, item)
        attach(claim, ClaimAttachment.Kind.RECEIPT, receipt)
        attach(claim, ClaimAttachment.Kind.SIGNATURE, signature)
        claims.append(claim)
    return claims


def attach(claim: Any, kind: str, data: bytes) -> Any:
    """Store ``data`` as an attachment of ``claim``, as an upload would be."""
    from kiosk.services.attachments import attachment_store

    return attachment_store(claim=claim, kind=kind, data=data)


# -- timing and reporting ------------------------------------------------------------------


def percentile(samples: list[float], pct: float) -> float:
    """The ``pct``-th percentile (0-100) of ``samples``, linearly interpolated."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    """Statistics of a list of durations, in milliseconds."""

    count: int
    median_ms: float
    p95_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float

    @classmethod
    def of(cls, samples_ms: list[float]) -> "Summary":
        """Summarise ``samples_ms`` (durations in milliseconds)."""
        return cls(
            count=len(samples_ms),
            median_ms=statistics.median(samples_ms),
            p95_ms=percentile(samples_ms, 95),
            mean_ms=statistics.fmean(samples_ms),
            min_ms=min(samples_ms),
            max_ms=max(samples_ms),
        )

    def to_dict(self) -> dict[str, float]:
        """JSON-ready, rounded to 0.01 ms."""
        return {key: round(value, 2) for key, value in asdict(self).items()}


@dataclass
class BenchResult:
    """What one benchmark reports.

    ``rows`` is the printed table (label, value); ``data`` is written as JSON;
    ``verdict`` is the PASS/FAIL line against the target; ``errors`` (lost claims,
    unexpected answers) make ``python -m bench`` exit non-zero.
    """

    name: str
    rows: list[tuple[str, str]]
    data: dict[str, Any]
    verdict: str
    errors: list[str] = field(default_factory=list)


def print_result(result: BenchResult) -> None:
    """Print the result as a compact two-column table, then the verdict and any errors."""
    width = max(len(label) for label, _ in result.rows)
    print(f"\n== {result.name} ==")
    for label, value in result.rows:
        print(f"  {label:<{width}}  {value}")
    print(result.verdict)
    for error in result.errors[:20]:
        print(f"  ERROR: {error}")
    if len(result.errors) > 20:
        print(f"  ... and {len(result.errors) - 20} more errors")


def write_result(result: BenchResult) -> Path:
    """Write ``bench/results/<name>.json``; returns its path."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{result.name}.json"
    body = {"name": result.name, "verdict": result.verdict, "errors": result.errors}
    path.write_text(json.dumps(body | result.data, indent=2) + "\n")
    return path


def measure_in_process(
    name: str, module: str, arguments: list[str], *, shown: list[tuple[str, str]]
) -> dict | BenchResult:
    """Run `python -m <module> <arguments> --json FILE` in a process of its own (Django is
    set up once per process: on another database there) and return the JSON it wrote, or a
    NOT MEASURED result when it wrote none."""
    with tempfile.TemporaryDirectory(prefix=f"claims-portal-{name}-") as directory:
        output = Path(directory) / "measured.json"
        command = [sys.executable, "-m", module, *arguments, "--json", str(output)]
        process = subprocess.run(command, cwd=REPO_ROOT, check=False)
        if not output.exists():
            return BenchResult(
                name, shown, {}, "NOT MEASURED", [f"{module} exited with {process.returncode}"]
            )
        return json.loads(output.read_text())


def write_measured(path: Path, measured: dict) -> None:
    """What a measuring process hands back to `measure_in_process`."""
    path.write_text(json.dumps(measured, default=asdict))
