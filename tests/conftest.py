import json
import os
import shutil

import hypothesis
import pytest

from kiosk.models import ClaimAttachment
from kiosk.services.attachments import attachment_store
from sandbox import SandboxServer
from tests.factories import ClaimFactory, StoreFactory, UserFactory
from tests.images import image_bytes, signature_png
from tests.translations import messages_compile_if_stale

# Spanish tests need the compiled translations, which are built, never committed.
messages_compile_if_stale()

pytest_plugins = ["sandbox.pytest_plugin"]

# pytest-playwright runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The same examples on every run: a failure reproduces, and a run takes as long as the last.
hypothesis.settings.register_profile("portal", derandomize=True, deadline=None, database=None)
hypothesis.settings.load_profile("portal")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that use the database (`make test`'s second database)",
    )
    parser.addoption(
        "--shard",
        metavar="I/N",
        help="run the I-th of N shares of the selected tests, dealt out in turn (`make test` "
        "runs the browser tests in two shares at once)",
    )


def uses_database(item: pytest.Item) -> bool:
    """Whether the test can reach the test database: pytest-django lets only these in
    (the django_db mark, or a fixture built on django_db_setup such as db, or live_server),
    and makes any other test that queries fail, so none is missed."""
    fixtures = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool(
        fixtures & {"django_db_setup", "live_server"}
    )


@pytest.hookimpl(trylast=True)  # after -m has deselected, so that shares are even
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`--database-tests-only`: tests that never touch a database gain nothing from a
    second one, so `make test` runs them once (on SQLite). `--shard I/N`: this run's share."""
    keep = [lambda item: True]
    if config.getoption("database_tests_only"):
        keep.append(uses_database)
    if shard := config.getoption("shard"):
        index, count = (int(part) for part in shard.split("/"))
        if not 1 <= index <= count:
            raise pytest.UsageError(f"--shard {shard}: I must be between 1 and N")
        # Dealt out in turn, so that each share gets its part of every file, slow or fast.
        selected = [item for item in items if all(k(item) for k in keep)]
        share = {id(item) for item in selected[index - 1 :: count]}
        keep.append(lambda item: id(item) in share)
    kept = [item for item in items if all(k(item) for k in keep)]
    if len(kept) < len(items):
        kept_ids = {id(item) for item in kept}
        config.hook.pytest_deselected(items=[item for item in items if id(item) not in kept_ids])
        items[:] = kept


def pytest_report_header() -> str:
    """Which database this run is on: `make test` runs the suite on SQLite and PostgreSQL."""
    from django.db import connection

    database = connection.settings_dict
    test_name = database["TEST"].get("NAME") or f"test_{database['NAME']}"
    where = f" on {database['HOST']}:{database['PORT']}" if database["HOST"] else ""
    return f"database: {connection.display_name}, test database {test_name}{where}"


@pytest.fixture(scope="session", autouse=True)
def remove_test_media_afterwards():
    """Also the SQLite test database's directory (set up first, so torn down after the database)."""
    from django.conf import settings

    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    shutil.rmtree(settings.STATIC_ROOT, ignore_errors=True)
    sqlite_test_file = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if sqlite_test_file:
        shutil.rmtree(os.path.dirname(sqlite_test_file), ignore_errors=True)


@pytest.fixture
def associate(db):
    return UserFactory(username="alex", first_name="Alex")


@pytest.fixture
def store(associate):
    return StoreFactory(name="Main Street", source_store_id="store_123", members=[associate])


@pytest.fixture
def manager(store):
    """A manager of the associate's store, in the "Store managers" group."""
    from django.contrib.auth.models import Group

    from kiosk.roles import STORE_MANAGERS

    user = UserFactory(username="morgan", first_name="Morgan", is_staff=True)
    user.groups.add(Group.objects.get(name=STORE_MANAGERS))
    store.members.add(user)
    return user


@pytest.fixture
def manager_client(client, manager):
    """Logged in as the manager of the associate's store."""
    client.force_login(manager)
    return client


@pytest.fixture
def associate_client(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def api_to_sandbox(settings, sandbox):
    """Point the portal at the in-process sandbox, over real HTTP."""
    settings.ORDERPROTECTION_API_URL = sandbox.url
    settings.ORDERPROTECTION_API_TOKEN = "sandbox-token"
    return sandbox


@pytest.fixture
def api_to_own_sandbox(settings):
    """Point the portal at a sandbox of this test's own (its counts start at nothing) that
    fetches no images (the example claim body points at example.com), over real HTTP."""
    server = SandboxServer(fetch_images=False).start()
    settings.ORDERPROTECTION_API_URL = server.url
    settings.ORDERPROTECTION_API_TOKEN = "sandbox-token"
    yield server
    server.stop()


def attach(claim, kind: str, data: bytes) -> ClaimAttachment:
    return attachment_store(claim=claim, kind=kind, data=data)


@pytest.fixture
def make_complete_claim(store, associate):
    """Makes claims ready to submit: every step done, with item, receipt and signature images."""

    def make():
        claim = ClaimFactory(store=store, created_by=associate)
        attach(claim, ClaimAttachment.Kind.ITEM, image_bytes("JPEG"))
        attach(claim, ClaimAttachment.Kind.RECEIPT, image_bytes("JPEG", color="white"))
        attach(claim, ClaimAttachment.Kind.SIGNATURE, signature_png())
        return claim

    return make


@pytest.fixture
def complete_claim(make_complete_claim):
    return make_complete_claim()


@pytest.fixture
def media_server(settings):
    """Serves MEDIA_ROOT over HTTP, as a web server would, so the sandbox can fetch uploads."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(QuietHandler, directory=str(settings.MEDIA_ROOT))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # shutdown() waits for serve_forever's next poll: 0.5 s by default, at every teardown.
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    settings.MEDIA_URL = "/"
    settings.PUBLIC_MEDIA_BASE_URL = base
    yield base
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def empty_cache():
    """OAuth tokens live in Django's cache: no test sees another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def counter_forgets_outages():
    """The counter's memory of recent outages is per process: no test inherits another's."""
    from kiosk.delivery.counter import COUNTER_SLOTS

    COUNTER_SLOTS.reset()
    yield
    COUNTER_SLOTS.reset()


@pytest.fixture
def api_with_oauth(settings, api_to_sandbox):
    """Point the portal at the sandbox with OAuth client credentials instead of a token."""
    settings.ORDERPROTECTION_AUTH = "oauth"
    settings.ORDERPROTECTION_OAUTH_CLIENT_ID = "op_app_sandbox"
    settings.ORDERPROTECTION_OAUTH_CLIENT_SECRET = "op_secret_sandbox"
    settings.ORDERPROTECTION_OAUTH_TOKEN_URL = api_to_sandbox.url + "/v1/oauth/token"
    settings.ORDERPROTECTION_API_TOKEN = "not-used-with-oauth"
    return api_to_sandbox


SETTLED = ("filed", "needs_attention")


@pytest.fixture
def run_worker():
    """Run the database worker in this process until the claim is filed or needs attention.

    Tests that use it need ``@pytest.mark.django_db(transaction=True)``.
    """
    import time

    from django.core.management import call_command

    def run(claim, *, timeout: float = 15.0):
        give_up_at = time.monotonic() + timeout
        while time.monotonic() < give_up_at:
            call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
            claim.refresh_from_db()
            if claim.status in SETTLED:
                return claim
            time.sleep(0.05)
        raise AssertionError(f"claim {claim.reference} still {claim.status} after {timeout} s")

    return run


@pytest.fixture
def worker_pool(tmp_path):
    """Real `manage.py delivery_worker` processes; call ``start(env, count)``. Stopped after."""
    from tests.workers import WorkerPool

    pools = []

    def start(env: dict[str, str], count: int = 1) -> WorkerPool:
        pool = WorkerPool(env, tmp_path)
        pool.start(count)
        pools.append(pool)
        return pool

    yield start
    for pool in pools:
        pool.stop()


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server on a free port, started for the test and stopped after it."""
    import shutil
    import socket
    import subprocess
    import time

    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail(
            "redis-server is not installed: `make test` installs it (apt-get install redis-server)"
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    client = redis.Redis.from_url(url)
    give_up_at = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > give_up_at or process.poll() is not None:
                process.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield url
    client.close()
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def redis_tasks(settings, redis_server):
    """Switch this process's task backend to RQ on the test's redis-server."""
    from asgiref.local import Local
    from django.tasks import task_backends

    def reset_backends():
        task_backends.__dict__.pop("settings", None)
        task_backends._connections = Local(task_backends.thread_critical)

    settings.TASKS_BACKEND = "redis"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": redis_server}}
    settings.TASKS_ENQUEUE_ON_COMMIT = True
    reset_backends()
    yield redis_server
    settings.TASKS_BACKEND = "database"
    reset_backends()


@pytest.fixture
def s3_storage(settings, monkeypatch):
    """Uploads go to a real S3-compatible server (moto's, over HTTP), started for the test."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="claims-media")
    # As docs/tablet.md has it for unsigned URLs: only claims/ (what the API fetches) is public.
    s3.put_bucket_policy(
        Bucket="claims-media",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::claims-media/claims/*",
                    }
                ],
            }
        ),
    )
    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = settings.STORAGES | {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "claims-media",
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "addressing_style": "path",
                "signature_version": "s3v4",
                "querystring_auth": settings.MEDIA_SIGNED_URLS,
                "querystring_expire": settings.MEDIA_SIGNED_URL_MAX_AGE,
                "file_overwrite": False,
            },
        }
    }
    yield endpoint
    server.stop()


def step_form(response, slug: str):
    """The form of the step named `slug` on the claim's page a response shows."""
    return {step.slug: form for step, form in response.context["sections"]}[slug]
