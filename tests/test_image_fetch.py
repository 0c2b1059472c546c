"""OrderProtection failing to fetch one of our own photos is our fault: retried, never "rejected".

Over real HTTP: the sandbox fetches the claim's photos from a media server that is down
(connection refused), or too slow for the sandbox's image_fetch_timeout, then recovers.
"""

import functools
import socket
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from kiosk.delivery.own_images import own_image_named
from kiosk.delivery.results import Result
from kiosk.models import Claim, ClaimAttachment
from kiosk.services.submission import claim_build_payload, claim_submit

pytestmark = pytest.mark.django_db(transaction=True)

SLOW_SECONDS = 1.5
FETCH_TIMEOUT = 0.5


class FlakyMedia:
    """Serves MEDIA_ROOT on a port held from the start: refused until `up()`; while `slow`
    is set, each answer comes SLOW_SECONDS late."""

    def __init__(self, root: str):
        self.slow = threading.Event()
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        media = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):
                if media.slow.is_set():
                    time.sleep(SLOW_SECONDS)
                super().do_GET()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(
            self._socket.getsockname(),
            functools.partial(Handler, directory=root),
            bind_and_activate=False,
        )
        self._server.socket.close()
        self._server.socket = self._socket
        self._serving = False

    def up(self) -> None:
        self._server.server_activate()
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        self._serving = True

    def close(self) -> None:
        if self._serving:
            self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def flaky_media(settings, sandbox):
    media = FlakyMedia(str(settings.MEDIA_ROOT))
    settings.MEDIA_URL = "/"
    settings.PUBLIC_MEDIA_BASE_URL = media.url
    timeout = sandbox.image_fetch_timeout
    sandbox.image_fetch_timeout = FETCH_TIMEOUT
    yield media
    sandbox.image_fetch_timeout = timeout
    media.close()


def submit(client, claim):
    response = client.post(reverse("kiosk:claim-submit", args=[claim.reference]))
    claim.refresh_from_db()
    return response


def attempts(claim) -> list[tuple]:
    return list(claim.attempts.values_list("status_code", "outcome", "sent_from"))


@pytest.mark.parametrize("trouble", ["down", "slow"])
def test_photos_the_api_could_not_fetch_are_retried_and_filed_never_rejected(
    trouble, associate_client, complete_claim, api_to_sandbox, flaky_media, run_worker
):
    if trouble == "slow":
        flaky_media.slow.set()
        flaky_media.up()

    response = submit(associate_client, complete_claim)
    counter_page = associate_client.get(response.url).content.decode()
    # Media serving recovers (it restarted, or the portal is no longer swamped).
    if trouble == "down":
        flaky_media.up()
    flaky_media.slow.clear()
    claim = run_worker(complete_claim)

    # The associate is never sent back to "correct" a photo that is fine.
    assert response.url == reverse("kiosk:claim-result", args=[claim.reference])
    assert "Saved. It will be filed automatically." in counter_page
    assert claim.status == Claim.Status.FILED
    assert list(api_to_sandbox.claims) == [claim.claim_number]
    assert attempts(claim)[0] == (400, "rejected", "counter")
    assert attempts(claim)[-1] == (201, "filed", "worker")
    first = claim.attempts.order_by("number").first().decision
    assert "could not fetch our own image at item.images[0]" in first
    assert "ours, transient); retry in" in first
    assert claim.claim_number in associate_client.get(response.url).content.decode()


def test_photos_that_stay_unfetchable_go_to_a_manager_not_the_associate(
    settings,
    associate_client,
    complete_claim,
    api_to_sandbox,
    flaky_media,
    run_worker,
    admin_client,
):
    settings.DELIVERY_IMAGE_FETCH_GIVE_UP_AFTER = 1.0

    response = submit(associate_client, complete_claim)
    claim = run_worker(complete_claim)

    assert claim.status == Claim.Status.NEEDS_ATTENTION
    assert claim.attention_reason == Claim.AttentionReason.IMAGE_FETCH
    assert not claim.is_editable
    assert claim.last_error_field == "item.images[0]"
    assert len(attempts(claim)) > 1
    assert {outcome for _, outcome, _ in attempts(claim)} == {"rejected"}
    assert "for a manager: check media serving" in claim.attempts.last().decision
    assert response.url == reverse("kiosk:claim-result", args=[claim.reference])
    assert "a store manager will send it again" in (
        associate_client.get(response.url).content.decode()
    )
    change = admin_client.get(reverse("admin:kiosk_claim_change", args=[claim.pk]))
    page = change.content.decode()
    assert "Needs attention: OrderProtection could not fetch the photos" in page
    assert "PUBLIC_MEDIA_BASE_URL" in page


def test_photos_not_fetched_past_the_attempt_limit_go_to_a_manager_too(
    settings, complete_claim, api_to_sandbox, flaky_media
):
    settings.DELIVERY_MAX_ATTEMPTS = 1

    submission = claim_submit(claim=complete_claim, media_base_url=flaky_media.url)

    claim = submission.claim
    assert submission.result == Result.NEEDS_ATTENTION
    assert claim.attention_reason == Claim.AttentionReason.IMAGE_FETCH
    decision = claim.attempts.get().decision
    assert "past the delivery limits" in decision
    assert decision.endswith("for a manager: check media serving (PUBLIC_MEDIA_BASE_URL)")


def test_only_an_image_url_of_a_photo_the_claim_still_holds_is_ours(complete_claim, settings):
    settings.MEDIA_URL = "/"
    complete_claim.item_product_image_url = "https://catalog.example.com/pictures/kettle.jpg"
    complete_claim.save()
    payload = claim_build_payload(claim=complete_claim, media_base_url="https://media.example.com")
    Claim.objects.filter(pk=complete_claim.pk).update(request_payload=payload)
    complete_claim.refresh_from_db()
    receipt = complete_claim.attachments.get(kind=ClaimAttachment.Kind.RECEIPT)
    item = complete_claim.attachments.get(kind=ClaimAttachment.Kind.ITEM)

    assert own_image_named(claim=complete_claim, field_path="warranty.receiptImages[0]") == receipt
    assert own_image_named(claim=complete_claim, field_path="signature") is not None
    # The catalog's picture, a field that is no image, an index past the list: not ours.
    assert own_image_named(claim=complete_claim, field_path="item.productImage") is None
    assert own_image_named(claim=complete_claim, field_path="item.name") is None
    assert own_image_named(claim=complete_claim, field_path="item.images[5]") is None
    # A photo whose file is gone is for the associate to take again.
    item.file.delete(save=False)
    assert own_image_named(claim=complete_claim, field_path="item.images[0]") is None
