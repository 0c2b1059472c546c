"""Request bodies refused from their header, before they are read (kiosk.body_limits)."""

import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from django.core.files import uploadedfile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kiosk import body_limits
from tests.images import image_bytes
from tests.test_outbox import OUTBOX, outbox, started, tablet  # noqa: F401 (fixtures)
from tests.test_views import start_claim

ROOT = Path(__file__).resolve().parents[1]
LOGIN = "/accounts/login/"
WEBHOOK = "/webhooks/orderprotection"
GIGABYTE = 10**9


def claimed_length(length: int) -> dict:
    """A Content-Length header claiming more than the few bytes actually sent."""
    return {"CONTENT_LENGTH": str(length)}


def test_an_anonymous_body_over_its_limit_gets_a_page_saying_so(client, settings):
    response = client.post(LOGIN, {"username": "a", "password": "b"}, **claimed_length(GIGABYTE))

    assert response.status_code == 413
    assert [t.name for t in response.templates][0] == "kiosk/request_too_large.html"
    assert "at most 0.3 MB can be sent at once" in response.content.decode()


def test_a_webhook_over_the_anonymous_limit_is_refused_in_json(client, settings):
    settings.ORDERPROTECTION_WEBHOOK_SECRET = "s"
    body = b'{"event": "claim.updated"}'

    response = client.post(
        WEBHOOK,
        body,
        content_type="application/json",
        headers={"x-webhook-secret": "s"},
        **claimed_length(settings.REQUEST_MAX_BYTES_ANONYMOUS + 1),
    )

    assert response.status_code == 413
    assert response.json()["status"] == "refused"


def test_a_signed_in_associate_may_send_more_than_an_anonymous_caller(
    associate_client, store, settings
):
    photo = image_bytes("JPEG", size=(400, 300))
    settings.REQUEST_MAX_BYTES_ANONYMOUS = len(photo) // 2  # the photo alone is above it
    claim = start_claim(associate_client, store)
    url = reverse("kiosk:photo-upload", args=[claim.reference])

    response = associate_client.post(
        url, {"kind": "item", "photo": SimpleUploadedFile("p.jpg", photo, "image/jpeg")}
    )

    assert response.status_code == 201
    assert claim.attachments.count() == 1


def test_a_signed_in_body_over_the_largest_legitimate_request_is_refused_in_json(
    associate_client, store, settings
):
    claim = start_claim(associate_client, store)
    url = reverse("kiosk:photo-upload", args=[claim.reference])
    photo = SimpleUploadedFile("p.jpg", image_bytes("JPEG"), "image/jpeg")

    response = associate_client.post(
        url,
        {"kind": "item", "photo": photo},
        headers={"X-Kiosk-Automatic": "1"},
        **claimed_length(settings.REQUEST_MAX_BYTES + 1),
    )

    assert response.status_code == 413
    assert "can be sent at once" in response.json()["error"]  # what photos.js shows
    assert not claim.attachments.exists()


def test_a_request_of_several_photos_while_another_is_handled_is_answered_busy(
    associate_client, store, settings, monkeypatch
):
    # Two photos in one request: more than one photo's bytes, as the attack's requests are.
    photo = image_bytes("JPEG", size=(40, 30))
    settings.UPLOAD_MAX_BYTES = len(photo) + 100
    monkeypatch.setattr(body_limits, "ONE_PHOTO_FORM_BYTES", 0)
    settings.REQUEST_LARGE_CONCURRENCY = 1
    claim = start_claim(associate_client, store)
    url = reverse("kiosk:photo-upload", args=[claim.reference])

    def post_two_photos():
        photos = [SimpleUploadedFile(f"p{n}.jpg", photo, "image/jpeg") for n in range(2)]
        return associate_client.post(
            url, {"kind": "item", "photo": photos}, headers={"X-Kiosk-Automatic": "1"}
        )

    slots = body_limits._large_request_slots()
    assert slots.acquire(blocking=False)  # another such request, being handled
    try:
        busy = post_two_photos()
    finally:
        slots.release()

    assert busy.status_code == 503
    assert busy["Retry-After"] == "2"
    assert busy.json()["busy"] is True  # photos.js sends it again by itself
    assert not claim.attachments.exists()
    # Its turn: the same request is handled.
    assert post_two_photos().status_code == 201
    assert claim.attachments.count() == 2


def test_the_default_limit_lets_the_item_step_post_all_its_photos(settings):
    """The largest legitimate request: the item step without script, UPLOAD_MAX_FILES item
    photos and the product image at UPLOAD_MAX_BYTES each, and its other fields."""
    largest = (settings.UPLOAD_MAX_FILES + 1) * settings.UPLOAD_MAX_BYTES

    assert largest < settings.REQUEST_MAX_BYTES <= largest + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_a_locked_tablets_outbox_sends_a_photo_at_the_signed_in_limit(outbox, settings):  # noqa: F811
    """The outbox replays a locked tablet's photos (no session): its token stands for the
    associate, so the anonymous limit does not apply; without a good token it does."""
    claim = started(outbox)
    photo = image_bytes("JPEG", size=(400, 300))
    settings.REQUEST_MAX_BYTES_ANONYMOUS = len(photo) // 2

    def send(token: str):
        return outbox(
            "photo",
            token=token,
            reference=claim.reference,
            photo_kind="item",
            photo_id=str(uuid.uuid4()),
            photo=SimpleUploadedFile("p.jpg", photo, "image/jpeg"),
        )

    assert send(outbox.token).json()["status"] == "saved"
    forged = send("forged")
    assert forged.status_code == 413 and forged.json()["status"] == "refused"


def test_a_body_without_its_length_is_refused(client):
    response = client.generic(
        "POST",
        LOGIN,
        b"5\r\nhello\r\n",
        content_type="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
    )

    assert response.status_code == 411


@pytest.fixture
def kept_temporary_files(monkeypatch):
    """Django's temporary upload files, kept after the request instead of deleted on close."""
    real = uploadedfile.tempfile

    def named_temporary_file(*args, **kwargs):
        return real.NamedTemporaryFile(*args, **(kwargs | {"delete": False}))

    monkeypatch.setattr(
        uploadedfile,
        "tempfile",
        SimpleNamespace(NamedTemporaryFile=named_temporary_file, gettempdir=real.gettempdir),
    )


def test_no_anonymous_request_writes_a_file_to_disk(
    associate_client, store, settings, tmp_path, kept_temporary_files
):
    anonymous = Client()
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every file part to disk, if it is kept at all
    settings.REQUEST_MAX_BYTES_ANONYMOUS = settings.REQUEST_MAX_BYTES
    part = SimpleUploadedFile("big.bin", b"x" * 200_000, "application/octet-stream")

    for path in (LOGIN, WEBHOOK, OUTBOX, reverse("kiosk:unlock")):
        anonymous.post(path, {"username": "a", "password": "b", "file": part})
        part.seek(0)

    assert list(tmp_path.iterdir()) == []
    # The same post signed in does reach the disk: the check above can see a file written.
    claim = start_claim(associate_client, store)
    photo = SimpleUploadedFile("p.jpg", image_bytes("JPEG"), "image/jpeg")
    associate_client.post(
        reverse("kiosk:photo-upload", args=[claim.reference]), {"kind": "item", "photo": photo}
    )
    assert len(list(tmp_path.iterdir())) == 1


# -- Under gunicorn: answered before the body arrives -----------------------------------------


@pytest.fixture(scope="module")
def gunicorn_portal(tmp_path_factory):
    directory = tmp_path_factory.mktemp("limits")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(directory),
        "ENV_FILE": "/dev/null",
        "DEBUG": "false",
        "SECRET_KEY": "limits-test-" + "x" * 40,
        "ALLOWED_HOSTS": "*",
        "DATABASE_URL": f"sqlite:///{directory}/portal.sqlite3",
        # Plain static files: no collectstatic (minutes of compression) for these answers.
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "MEDIA_ROOT": str(directory / "media"),
        "ORDERPROTECTION_API_TOKEN": "x",
        "PUBLIC_MEDIA_BASE_URL": "http://127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=environment,
        check=True,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "claims_portal.wsgi", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "1", "--threads", "2"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def first_answer(port: int, request: bytes) -> str:
    """The status line of the answer to a request whose body never arrives in full.

    A server that waited for the rest of the body would not answer: the read times out.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n" not in answer:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode()


MULTIPART_START = (
    b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
    b"Content-Type: application/octet-stream\r\n\r\nabc"
)


def test_gunicorn_answers_a_huge_anonymous_body_from_its_header(gunicorn_portal):
    request = (
        b"POST /accounts/login/ HTTP/1.1\r\nHost: portal.test\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\n"
        + f"Content-Length: {GIGABYTE}\r\n\r\n".encode()
        + MULTIPART_START
    )

    assert first_answer(gunicorn_portal, request).startswith("HTTP/1.1 413 ")


def test_gunicorn_refuses_a_chunked_body_without_reading_it(gunicorn_portal):
    """Gunicorn accepts chunked bodies, but Django reads none without a Content-Length: refused
    (411) rather than taken as empty."""
    request = (
        b"POST /accounts/login/ HTTP/1.1\r\nHost: portal.test\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{len(MULTIPART_START):x}\r\n".encode()
        + MULTIPART_START
        + b"\r\n"
    )

    assert first_answer(gunicorn_portal, request).startswith("HTTP/1.1 411 ")
