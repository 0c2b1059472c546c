"""Shared set-up for the benchmarks.

A throwaway Django (test settings, a fresh SQLite file and media directory in a
temp dir), the portal served over real HTTP in a thread, the sandbox API, ready-made
claims, and small timing and reporting helpers.

Django can be set up only once per process, so ``setup_django()`` is idempotent and
every benchmark run by ``python -m bench`` shares one workspace.
"""

import json
import math
import os
import shutil
import statistics
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SETTINGS_MODULE = "claims_portal.settings_test"
SANDBOX_TOKEN = "sandbox-token"


# -- Django workspace ----------------------------------------------------------------------


@dataclass(frozen=True)
class Workspace:
    """Where the throwaway database and media files live."""

    root: Path
    database: Path
    media_root: Path
    # Empty temp dirs that importing settings_test made; removed on teardown.
    unused_dirs: tuple[Path, ...] = ()


_workspace: Workspace | None = None


def setup_django() -> Workspace:
    """Set Django up on a temp SQLite database and media dir, and migrate it (once)."""
    global _workspace
    if _workspace is not None:
        return _workspace

    root = Path(tempfile.mkdtemp(prefix="claims-portal-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    # Through the environment, so the portal's own SQLite options apply.
    os.environ["DATABASE_URL"] = f"sqlite:///{root / 'bench.sqlite3'}"
    import django
    from django.conf import settings

    workspace = Workspace(
        root=root,
        database=root / "bench.sqlite3",
        media_root=root / "media",
        unused_dirs=(Path(settings.MEDIA_ROOT), Path(settings.STATIC_ROOT)),
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
    _workspace = workspace
    return workspace


def teardown_django() -> None:
    """Close database connections and delete the workspace, if one was made."""
    global _workspace
    if _workspace is None:
        return
    from django.db import connections

    connections.close_all()
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
def live_portal() -> Iterator[str]:
    """Serve the whole portal (WSGI app, URLconf, middleware) on 127.0.0.1, free port.

    Yields the base URL, e.g. ``http://127.0.0.1:41234``. Media is served by the
    portal's own ``SERVE_MEDIA`` route, so the sandbox fetches images as in ``make run``.
    """
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.core.wsgi import get_wsgi_application
    from django.test.testcases import QuietWSGIRequestHandler

    httpd = ThreadedWSGIServer(("127.0.0.1", 0), QuietWSGIRequestHandler, allow_reuse_address=False)
    httpd.set_app(get_wsgi_application())
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
def live_sandbox(*, latency_ms: int = 0) -> Iterator[Any]:
    """The sandbox API on a free port with ``latency_ms`` on every claim; yields it."""
    from sandbox import SandboxServer

    server = SandboxServer(port=0, tokens=(SANDBOX_TOKEN,)).start()
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
