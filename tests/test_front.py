"""The buffering front (claims_portal/front.py: nginx) before real gunicorn pools, over HTTP.

Each test starts, on free ports, the portal's gunicorn (1 process of 2 threads: two held
requests fill it), the media pool and the front, against this test run's database, and
stops them by their PIDs. `make test` installs nginx first (the `nginx` target); elsewhere
these tests are skipped when it is missing.
"""

import contextlib
import http.client
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.test import Client

from claims_portal import front
from kiosk.models import ClaimAttachment
from tests.workers import REPO_ROOT, Processes, wait_for, worker_env

try:
    NGINX = front.find_nginx()
except front.FrontError:
    NGINX = None

# Real nginx and gunicorn processes against this test run's database.
served = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.skipif(
        NGINX is None, reason="nginx is not installed: `make nginx` (make test installs it)"
    ),
]


def real_processes(test):
    for mark in reversed(served):
        test = mark(test)
    return test


# A request that gets no answer in this long has none coming: the portal is down for it.
ANSWER_TIMEOUT = 5.0
# Requests that are not about whether the portal answers at all (a password hashed, a
# static file): only a bound, generous on a loaded machine.
WORK_TIMEOUT = 60.0
# Any value of 32 letters and digits is a CSRF secret Django accepts, unmasked, as the token.
CSRF = "frontfrontfrontfrontfrontfront12"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        requests.get(url, timeout=1)
    except requests.RequestException:
        return False
    return True


class Portal:
    """The portal as `make run` serves it: the front before the app and the media pools."""

    def __init__(self, processes: Processes, env: dict[str, str], static_root: Path):
        self.processes = processes
        self.static_root = static_root
        # Known before the pools start: the claims name their files at the front's address.
        self.address = f"127.0.0.1:{free_port()}"
        self.env = env | {"PUBLIC_MEDIA_BASE_URL": f"http://{self.address}"}
        self.url = ""

    def gunicorn(self, name: str, *, threads: int) -> str:
        address = f"127.0.0.1:{free_port()}"
        self.processes.spawn(
            name,
            [sys.executable, "-m", "gunicorn", "claims_portal.wsgi", "--bind", address]
            + ["--workers", "1", "--threads", str(threads), "--graceful-timeout", "1"]
            + ["--no-control-socket"],
            self.env,
        )
        self.wait(f"http://{address}/healthz", name)
        return address

    def front(self, *, app: str, media: str) -> str:
        address = self.address
        run_dir = self.processes.log_dir / "front"
        self.processes.spawn(
            "front",
            [sys.executable, "-m", "claims_portal.front", "--listen", address, "--app", app]
            + ["--media", media, "--static-root", str(self.static_root)]
            + ["--run-dir", str(run_dir)],
            self.env,
        )
        self.wait(f"http://{address}/healthz", "the front")
        return f"http://{address}"

    def wait(self, url: str, what: str) -> None:
        try:
            wait_for(lambda: answers(url), timeout=60, what=f"{what} at {url}", poll=0.1)
        except AssertionError:
            raise AssertionError(self.processes.logs()) from None


@contextlib.contextmanager
def running_portal(folder: Path, *, api_url: str) -> Iterator[Portal]:
    """The front before an app pool of 2 threads and a media pool of 2; `portal.url`."""
    (folder / "logs").mkdir()
    static_root = folder / "static"
    (static_root / "kiosk").mkdir(parents=True)
    env = worker_env(
        api_url=api_url,
        # Behind one proxy, the front: the client's address is the one it appends.
        TRUSTED_PROXY_COUNT="1",
        # Held by the hanging sandbox for as long as the test needs.
        DELIVERY_COUNTER_DEADLINE="30",
        ORDERPROTECTION_READ_TIMEOUT="30",
        # Both app threads may wait on the API at the counter (the circular wait's setup).
        DELIVERY_COUNTER_CONCURRENCY="2",
        DELIVERY_COUNTER_OUTAGE_FAILURES="0",
    )
    processes = Processes(folder / "logs")
    try:
        portal = Portal(processes, env, static_root)
        app = portal.gunicorn("app", threads=2)
        media = portal.gunicorn("media", threads=2)
        portal.url = portal.front(app=app, media=media)
        yield portal
    finally:
        processes.stop()


@pytest.fixture(scope="module")
def portal(tmp_path_factory, django_db_setup, django_db_blocker, sandbox_session):
    """One portal for the tests that leave its threads free (against the test database)."""
    with (
        django_db_blocker.unblock(),
        running_portal(tmp_path_factory.mktemp("front"), api_url=sandbox_session.url) as portal,
    ):
        yield portal


@pytest.fixture
def fronted(portal) -> str:
    return portal.url


class SlowClients:
    """Connections that send their request a byte at a time, in a thread, until closed."""

    def __init__(self, url: str):
        host, port = url.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.sockets: list[tuple[socket.socket, bytes]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.trickle, daemon=True)

    def open(self, opening: bytes, then: bytes) -> None:
        connection = socket.create_connection(self.address, timeout=ANSWER_TIMEOUT)
        connection.sendall(opening)
        self.sockets.append((connection, then))

    def trickle(self) -> None:
        sent = 0
        while not self.stopping.wait(0.3):
            for connection, then in self.sockets:
                with contextlib.suppress(OSError):
                    connection.send(then[sent % len(then) : sent % len(then) + 1])
            sent += 1

    def __enter__(self) -> "SlowClients":
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        for connection, _ in self.sockets:
            connection.close()


def hold_with_slow_clients(url: str) -> SlowClients:
    """Five webhook bodies and five requests' headers, each trickling a byte at a time."""
    clients = SlowClients(url)
    host = url.removeprefix("http://")
    for _ in range(5):
        clients.open(
            b"POST /webhooks/orderprotection HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
            b"Content-Type: application/json\r\nContent-Length: 200000\r\n\r\n{",
            then=b' "padding": "' + b"x" * 64 + b'",',
        )
    for _ in range(5):
        clients.open(
            b"GET /healthz HTTP/1.1\r\nHost: " + host.encode() + b"\r\n",
            then=b"X-Slow: " + b"y" * 64 + b"\r\n",
        )
    return clients


@real_processes
def test_ten_slow_clients_leave_healthz_answering_through_the_front(fronted):
    with hold_with_slow_clients(fronted):
        time.sleep(1)  # the slow requests have begun before the check

        health = requests.get(fronted + "/healthz", timeout=ANSWER_TIMEOUT)

    assert health.status_code == 200


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def submit_in_background(url: str, claim, session: str) -> threading.Thread:
    """The associate's submit at the counter, which waits on the API: a thread held."""

    def submit():
        # The front or the app closes it at the end of the test: no answer is expected.
        with contextlib.suppress(requests.RequestException):
            requests.post(
                f"{url}/claims/{claim.reference}/submit/",
                cookies={settings.SESSION_COOKIE_NAME: session, settings.CSRF_COOKIE_NAME: CSRF},
                headers={"X-CSRFToken": CSRF},
                allow_redirects=False,
                timeout=60,
            )

    thread = threading.Thread(target=submit, daemon=True)
    thread.start()
    return thread


@real_processes
def test_media_answers_while_every_app_thread_waits_on_the_api(
    tmp_path, sandbox, associate, make_complete_claim
):
    """The circular wait: OrderProtection fetches a claim's images while the app's threads
    all wait on OrderProtection. The files come from their own pool, so they answer."""
    claims = [make_complete_claim(), make_complete_claim()]
    sandbox.set_faults(mode="hang", hang_seconds=30, times=2)
    session = session_cookie(associate)
    photo = ClaimAttachment.objects.filter(claim=claims[0]).first()

    # A portal of its own: this test leaves its app's threads held by the hanging API.
    with running_portal(tmp_path, api_url=sandbox.url) as portal:
        fronted = portal.url
        submits = [submit_in_background(fronted, claim, session) for claim in claims]
        wait_for(
            lambda: sum(r.method == "POST" for r in sandbox.received) == 2,
            timeout=30,
            what="both submits to wait on the hanging API",
        )
        # Both of the app's threads wait: a page from the app gets no answer now.
        with pytest.raises(requests.Timeout):
            requests.get(fronted + "/healthz", timeout=2)

        fetched = requests.get(
            f"{fronted}{settings.MEDIA_URL}{photo.file.name}", timeout=ANSWER_TIMEOUT
        )

        assert fetched.status_code == 200
        assert fetched.content == photo.file.open("rb").read()
        assert all(thread.is_alive() for thread in submits)


def post_wrong_password(url: str, username: str, *, forwarded_for: str) -> int:
    """From 127.0.0.2 (this machine still), claiming to be forwarded_for."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(
        host, int(port), timeout=WORK_TIMEOUT, source_address=("127.0.0.2", 0)
    )
    body = f"username={username}&password=wrong-password&csrfmiddlewaretoken={CSRF}"
    connection.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"{settings.CSRF_COOKIE_NAME}={CSRF}",
            "X-Forwarded-For": forwarded_for,
        },
    )
    status = connection.getresponse().status
    connection.close()
    return status


@real_processes
def test_the_portal_throttles_the_real_client_behind_the_front_not_the_one_it_claims(
    fronted, associate
):
    from axes.models import AccessFailureLog

    status = post_wrong_password(fronted, associate.username, forwarded_for="203.0.113.9")

    assert status == 200  # the form again, with its error
    assert list(AccessFailureLog.objects.values_list("ip_address", flat=True)) == ["127.0.0.2"]


def raw_request(url: str, head: str) -> str:
    """Send only a request's head; return the status line of the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=WORK_TIMEOUT) as connection:
        connection.sendall(head.encode())
        return connection.makefile("rb").readline().decode().strip()


@real_processes
def test_bodies_over_the_largest_upload_are_refused_from_their_header(fronted):
    largest = settings.REQUEST_MAX_BYTES
    host = fronted.removeprefix("http://")

    upload = raw_request(
        fronted,
        f"POST /claims/ABC/photos/ HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Length: {largest + 1}\r\n\r\n",
    )
    login = raw_request(
        fronted,
        f"POST /accounts/login/ HTTP/1.1\r\nHost: {host}\r\nContent-Length: {1024 * 1024}\r\n\r\n",
    )

    assert upload == "HTTP/1.1 413 Request Entity Too Large"
    assert login == "HTTP/1.1 413 Request Entity Too Large"


@real_processes
def test_static_files_come_from_static_root_with_whitenoises_caching(fronted, portal):
    """Served by nginx from STATIC_ROOT; a file not there is the app's (WhiteNoise's)."""
    (portal.static_root / "kiosk" / "front.css").write_text("body { color: red }")
    (portal.static_root / "kiosk" / "front.0123456789ab.css").write_text("body { color: red }")

    plain = requests.get(fronted + "/static/kiosk/front.css", timeout=WORK_TIMEOUT)
    hashed = requests.get(fronted + "/static/kiosk/front.0123456789ab.css", timeout=WORK_TIMEOUT)
    # Only in static/ (WhiteNoise finds it there with DEBUG on), not in this STATIC_ROOT.
    fallback = requests.get(fronted + "/static/kiosk/kiosk.css", timeout=WORK_TIMEOUT)

    assert plain.text == "body { color: red }"
    assert plain.headers["Cache-Control"] == "max-age=60, public"
    assert plain.headers["X-Content-Type-Options"] == "nosniff"
    assert plain.headers["Content-Type"] == "text/css; charset=utf-8"
    assert hashed.headers["Cache-Control"] == "max-age=315360000, public, immutable"
    assert fallback.status_code == 200
    assert fallback.text == (REPO_ROOT / "static" / "kiosk" / "kiosk.css").read_text()


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed: `make nginx`")
def test_an_access_log_of_dash_is_written_to_the_fronts_output_a_pipe(tmp_path):
    """`make run ACCESS_LOG=-`: nginx writes each request's line to its standard output,
    which supervisord reads from a pipe and prints; no access log file is made."""
    static_root = tmp_path / "static"
    (static_root / "kiosk").mkdir(parents=True)
    (static_root / "kiosk" / "piped.css").write_text("body {}")
    address = f"127.0.0.1:{free_port()}"
    unused = [f"127.0.0.1:{free_port()}" for _ in range(2)]  # no request reaches them
    run_dir = tmp_path / "front"
    command = [sys.executable, "-m", "claims_portal.front", "--listen", address]
    command += ["--app", unused[0], "--media", unused[1], "--static-root", str(static_root)]
    command += ["--run-dir", str(run_dir), "--access-log", "-"]
    front_process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=worker_env(api_url="http://127.0.0.1:9"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    lines: list[bytes] = []
    reader = threading.Thread(target=lambda: lines.extend(front_process.stdout), daemon=True)
    reader.start()
    try:
        url = f"http://{address}/static/kiosk/piped.css"
        wait_for(lambda: answers(url), timeout=60, what=f"the front at {url}", poll=0.1)
        assert requests.get(url, timeout=WORK_TIMEOUT).text == "body {}"
        wait_for(
            lambda: any(b"GET /static/kiosk/piped.css" in line for line in lines),
            timeout=10,
            what="the request's line on the front's output",
        )
    finally:
        front_process.terminate()
        front_process.wait(timeout=15)
        reader.join(timeout=5)
    assert not (run_dir / "access.log").exists()


def test_front_renders_the_body_limits_from_the_settings(tmp_path):
    args = front.parse_args(
        ["--listen", "0.0.0.0:8000", "--app", "127.0.0.1:8001", "--media", "127.0.0.1:8002"]
        + ["--run-dir", str(tmp_path), "--static-root", str(tmp_path)]
    )

    config = front.render(front.build_config(args, mime_types="/etc/nginx/mime.types"))

    largest = settings.REQUEST_MAX_BYTES
    assert f"client_max_body_size {largest};" in config
    assert f"client_max_body_size {settings.WEBHOOK_MAX_BYTES};" in config
    assert "{{" not in config


def test_the_server_block_in_the_docs_is_the_templates(tmp_path):
    """docs/operations.md's block to copy says what the front does: each limit, timeout,
    buffering, header and route line of the rendered template is in it, as it is."""
    docs = (REPO_ROOT / "docs" / "operations.md").read_text()
    block = docs.split("### A server block to copy", 1)[1].split("```nginx", 1)[1]
    block_lines = {line.strip() for line in block.split("```", 1)[0].splitlines()}
    args = front.parse_args(
        ["--listen", "0.0.0.0:8000", "--app", "127.0.0.1:8001", "--media", "127.0.0.1:8002"]
        + ["--run-dir", str(tmp_path), "--static-root", "/srv/claims/staticfiles"]
    )
    rendered = front.render(front.build_config(args, mime_types="/etc/nginx/mime.types"))
    server = "map $uri" + rendered.split("map $uri", 1)[1]
    directives = [
        line.strip()
        for line in server.splitlines()
        if line.strip() and not line.strip().startswith(("#", "listen "))
    ]

    assert [line for line in directives if line not in block_lines] == []


@pytest.mark.parametrize(("status", "up"), [(502, False), (504, False), (503, True)])
def test_the_run_banner_waits_for_gunicorn_behind_the_front(status, up):
    """The front answers 502 (504) while gunicorn starts: not yet the portal; a 503 is
    the portal's own /healthz saying something is wrong, so the portal is up."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from claims_portal import run_banner

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        answered = run_banner.wait_for_portal("127.0.0.1", server.server_port, seconds=1)
    finally:
        server.shutdown()
        server.server_close()

    assert answered is up
