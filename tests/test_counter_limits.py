"""The counter's inline attempt cannot occupy every request thread (kiosk.delivery.counter).

An API outage plus as many submits as gunicorn has threads used to block every thread for
the counter's deadline: the login page waited 15 s. Now a few slots per process try inline;
the other submits hand their claim to the worker at once, and the result page follows it.
"""

import contextlib
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse

from kiosk.delivery.results import Result
from kiosk.models import Claim
from kiosk.services.submission import claim_submit
from tests.workers import REPO_ROOT, worker_env

# The API hangs far longer than the page may take to answer; the counter would wait it out.
HANG_SECONDS = 40
COUNTER_DEADLINE = 30
PAGE_TIMEOUT = 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def logged_in(user) -> str:
    """A session cookie for `user`, as the login page would have set it."""
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key


@pytest.fixture
def gunicorn(tmp_path):
    """`start(threads=…, api_url=…, **env)`: a real gunicorn, one process, on the test
    database; stopped after."""
    servers = []

    def start(*, threads: int, api_url: str, **extra: str) -> str:
        port = free_port()
        log = open(tmp_path / f"gunicorn-{port}.log", "wb")  # noqa: SIM115
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "claims_portal.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                str(threads),
                "--graceful-timeout",
                "1",
            ],
            cwd=REPO_ROOT,
            env=worker_env(api_url=api_url, **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        servers.append((server, log))
        url = f"http://127.0.0.1:{port}"
        give_up_at = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/healthz", timeout=2)
                return url
            except requests.RequestException:
                if time.monotonic() > give_up_at or server.poll() is not None:
                    pytest.fail("gunicorn did not start: " + (tmp_path / log.name).read_text())
                time.sleep(0.1)

    yield start
    for server, log in servers:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_api_that_hangs_and_more_submits_than_slots_leave_the_login_page_answering(
    gunicorn, sandbox, make_complete_claim, associate, media_server
):
    threads = 3
    url = gunicorn(
        threads=threads,
        api_url=sandbox.url,
        PUBLIC_MEDIA_BASE_URL=media_server,
        MEDIA_URL="/",
        DELIVERY_COUNTER_CONCURRENCY="1",
        DELIVERY_COUNTER_DEADLINE=str(COUNTER_DEADLINE),
        ORDERPROTECTION_READ_TIMEOUT=str(COUNTER_DEADLINE),
    )
    claims = [make_complete_claim() for _ in range(threads + 1)]
    cookies = {"sessionid": logged_in(associate), "csrftoken": "c" * 32}
    sandbox.set_faults(mode="hang", hang_seconds=HANG_SECONDS)

    def submit(claim):
        path = reverse("kiosk:claim-submit", args=[claim.reference])
        # Suppressed: gunicorn stops under a submit still waiting on the API.
        with contextlib.suppress(requests.RequestException):
            requests.post(
                url + path,
                cookies=cookies,
                headers={"X-CSRFToken": "c" * 32},
                allow_redirects=False,
                timeout=COUNTER_DEADLINE + 10,
            )

    submitters = [threading.Thread(target=submit, args=(claim,), daemon=True) for claim in claims]
    for submitter in submitters:
        submitter.start()
    # Every submit has left the draft, or the threads are all taken: wait for either.
    give_up_at = time.monotonic() + 10
    while time.monotonic() < give_up_at:
        if not Claim.objects.filter(status=Claim.Status.DRAFT).exists():
            break
        time.sleep(0.1)

    # Raises ReadTimeout when every thread waits on the API (before: for the whole deadline).
    page = requests.get(url + reverse("login"), timeout=PAGE_TIMEOUT)

    assert page.status_code == 200
    assert 'name="password"' in page.text
    statuses = sorted(Claim.objects.values_list("status", flat=True))
    # One slot: one claim waits on the API at the counter; the others went to the worker.
    assert statuses == ["queued"] * threads + ["sending"]
    assert [r.method for r in sandbox.received] == ["POST"]


@pytest.mark.django_db(transaction=True)
def test_a_claim_handed_to_the_worker_is_filed_once_and_the_result_page_shows_its_number(
    settings, associate_client, complete_claim, sandbox, api_to_sandbox, media_server, worker_pool
):
    settings.DELIVERY_COUNTER_CONCURRENCY = 0  # never inline: everything to the worker

    response = associate_client.post(reverse("kiosk:claim-submit", args=[complete_claim.reference]))
    counter_page = associate_client.get(response.url).content.decode()
    worker_pool(worker_env(api_url=sandbox.url), 1)
    give_up_at = time.monotonic() + 30
    while complete_claim.status != Claim.Status.FILED and time.monotonic() < give_up_at:
        time.sleep(0.2)
        complete_claim.refresh_from_db()

    assert "Saved. It will be filed automatically." in counter_page
    assert complete_claim.reference in counter_page
    assert complete_claim.status == Claim.Status.FILED
    assert list(complete_claim.attempts.values_list("sent_from", "outcome")) == [
        ("worker", "filed")
    ]
    assert list(sandbox.claims) == [complete_claim.claim_number]
    result_page = associate_client.get(response.url).content.decode()
    assert complete_claim.claim_number in result_page


def test_a_submit_without_a_free_slot_is_handed_to_the_worker_at_once(
    settings, complete_claim, api_to_sandbox, media_server
):
    settings.DELIVERY_COUNTER_CONCURRENCY = 1
    from kiosk.delivery.counter import COUNTER_SLOTS

    assert COUNTER_SLOTS.take()  # another associate's submit waits on the API meanwhile
    try:
        submission = claim_submit(claim=complete_claim, media_base_url=media_server)
    finally:
        COUNTER_SLOTS.give_back(result=None)

    complete_claim.refresh_from_db()
    assert submission.result == Result.QUEUED
    assert complete_claim.status == Claim.Status.QUEUED
    # Not held for the counter: the worker may take it now.
    assert complete_claim.next_attempt_at <= complete_claim.queued_at
    assert complete_claim.delivery_attempts == 0
    assert api_to_sandbox.received == []


def test_the_counter_stops_trying_while_the_api_is_failing_and_tries_again_after(
    settings, make_complete_claim, api_to_sandbox, media_server
):
    settings.DELIVERY_COUNTER_OUTAGE_FAILURES = 2
    settings.DELIVERY_COUNTER_OUTAGE_WINDOW = 60
    api_to_sandbox.set_faults(mode="error_503")
    for _ in range(2):
        assert claim_submit(claim=make_complete_claim(), media_base_url=media_server).result == (
            Result.QUEUED
        )
    assert len(api_to_sandbox.received) == 2

    during = claim_submit(claim=make_complete_claim(), media_base_url=media_server)

    assert during.result == Result.QUEUED
    assert not during.claim.attempts.exists()
    assert len(api_to_sandbox.received) == 2  # the outage cost this submit no wait at all

    api_to_sandbox.set_faults(mode="none")
    settings.DELIVERY_COUNTER_OUTAGE_WINDOW = 0  # the failures are old now
    after = claim_submit(claim=make_complete_claim(), media_base_url=media_server)

    assert after.result == Result.FILED
    assert len(api_to_sandbox.received) == 3
