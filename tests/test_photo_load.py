"""Slow image work holds no database lock: others' saves and deliveries go on meanwhile."""

import subprocess
import sys
import textwrap
import threading
import time

import pytest
import requests
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.urls import reverse

from kiosk.delivery.queue import claim_queue
from kiosk.delivery.sending import claim_deliver
from kiosk.models import Claim
from kiosk.services.submission import claim_build_payload
from tests.factories import ClaimFactory, UserFactory
from tests.images import phone_photo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

UPLOADER = textwrap.dedent(
    """
    import sys, requests
    url, cookie, csrf, path = sys.argv[1:5]
    data = open(path, "rb").read()
    session = requests.Session()
    session.cookies.set("sessionid", cookie)
    session.cookies.set("csrftoken", csrf)
    for n in range(int(sys.argv[5])):
        answer = session.post(
            url,
            data={"kind": "item"},
            files={"photo": (f"big-{n}.jpg", data, "image/jpeg")},
            headers={"X-CSRFToken": csrf, "Referer": url},
            timeout=60,
        )
        print(answer.status_code, flush=True)
    """
)


DEADLINE_SECONDS = 5


def deliver_in_thread(claim_pk: int) -> None:
    try:
        claim_deliver(claim_pk=claim_pk)
    finally:
        connection.close()


def logged_in(user) -> tuple[str, str]:
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key, "c" * 32


def test_big_uploads_do_not_hold_up_a_step_save_or_a_delivery(
    live_server, store, associate, complete_claim, api_to_sandbox, media_server, tmp_path
):
    uploading = ClaimFactory(store=store, created_by=associate, status=Claim.Status.DRAFT)
    photo = tmp_path / "big.jpg"
    photo.write_bytes(phone_photo(size=(5000, 3750)))
    cookie, csrf = logged_in(associate)
    url = live_server.url + reverse("kiosk:photo-upload", args=[uploading.reference])
    uploader = subprocess.Popen(
        [sys.executable, "-c", UPLOADER, url, cookie, csrf, str(photo), "6"],
        stdout=subprocess.PIPE,
        text=True,
    )
    other = UserFactory(username="second-associate")
    store.members.add(other)
    other_claim = ClaimFactory(store=store, created_by=other, status=Claim.Status.DRAFT)
    other_cookie, _ = logged_in(other)
    step = live_server.url + reverse("kiosk:claim-step", args=[other_claim.reference, "customer"])
    saver = requests.Session()
    saver.cookies.set("sessionid", other_cookie)
    saver.cookies.set("csrftoken", csrf)
    payload = claim_build_payload(claim=complete_claim, media_base_url=media_server)
    claim_queue(claim=complete_claim, payload=payload, claimable=Claim.objects.editable())

    time.sleep(0.5)  # the first big upload is being decoded now
    # Deadlines, not measurements: a held database lock made both wait 30–40 s. The save
    # raises requests' ReadTimeout past its deadline; the delivery is still running.
    saved = saver.post(
        step,
        data={
            "ship_first_name": "Sam",
            "ship_last_name": "Second",
            "customer_email": "second@example.com",
            "nav": "stay",
        },
        headers={"X-CSRFToken": csrf, "Referer": step},
        timeout=(5, DEADLINE_SECONDS),
    )
    delivery = threading.Thread(target=deliver_in_thread, args=(complete_claim.pk,))
    delivery.start()
    delivery.join(timeout=DEADLINE_SECONDS)
    delivered_in_time = not delivery.is_alive()
    delivery.join()
    output, _ = uploader.communicate(timeout=120)

    assert saved.status_code == 200
    other_claim.refresh_from_db()
    assert other_claim.customer_email == "second@example.com"
    complete_claim.refresh_from_db()
    assert complete_claim.status == Claim.Status.FILED
    assert output.split() == ["201"] * 6
    assert uploading.attachments.count() == 6
    assert delivered_in_time
