"""No file a claim names is ever deleted: not by a double Submit, a discard, a purge or a
photo removal; a file no row names is swept once its grace period is over."""

import datetime
import os
import threading
import time
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kiosk.delivery.queue import claim_queue
from kiosk.delivery.results import Result
from kiosk.forms import SignatureForm
from kiosk.models import Claim, ClaimAttachment
from kiosk.services.attachments import attachment_discard
from kiosk.services.drafts import ClaimNotEditable, claim_remove_attachment, claim_save_step
from kiosk.services.retention import personal_data_purge
from kiosk.services.submission import claim_build_payload, claim_submit
from tests.conftest import attach
from tests.images import image_bytes, signature_data_url

pytestmark = pytest.mark.django_db(transaction=True)


def named_files(claim: Claim) -> list[str]:
    """The stored names of the files the claim's queued body links to."""
    body = claim.request_payload
    urls = [body["signature"], *body["item"].get("images", [])]
    urls += body["warranty"].get("receiptImages", [])
    return [url.split("?", 1)[0].split("/", 3)[-1] for url in urls if url]


def assert_every_named_file_is_there(claim: Claim) -> None:
    claim.refresh_from_db()
    names = named_files(claim)
    assert names
    for name in names:
        assert default_storage.exists(name), f"{name} is named by the queued body but gone"
        assert ClaimAttachment.objects.filter(claim=claim, file=name).exists()


def unsigned(claim: Claim) -> Claim:
    """The claim as it stands before the customer signs under the review."""
    claim.attachments.filter(kind=ClaimAttachment.Kind.SIGNATURE).delete()
    claim.completed_steps = [s for s in claim.completed_steps if s != "signature"]
    claim.save()
    return claim


def sign(claim: Claim) -> None:
    """The signature step saved on this (possibly stale) copy of the claim."""
    form = SignatureForm({"signature_data": signature_data_url()}, claim=claim)
    claim_save_step(claim=claim, slug="signature", entry=form.step_input(), checked=True)


def queue(claim: Claim, media_base_url: str) -> None:
    payload = claim_build_payload(claim=claim, media_base_url=media_base_url)
    assert claim_queue(claim=claim, payload=payload, claimable=Claim.objects.editable())


def double_tap(url: str, associate) -> list[int]:
    """Two Submits of the same claim at once, each signed, from two requests in threads."""
    start = threading.Barrier(2)
    answers = []

    def tap():
        client = Client()
        client.force_login(associate)
        start.wait()
        answers.append(client.post(url, {"signature_data": signature_data_url()}).status_code)
        connection.close()

    taps = [threading.Thread(target=tap) for _ in range(2)]
    for thread in taps:
        thread.start()
    for thread in taps:
        thread.join()
    return answers


@pytest.mark.slow
def test_two_submits_at_once_with_a_signature_leave_every_named_file(
    make_complete_claim, associate, api_to_sandbox, media_server
):
    for _ in range(4):
        claim = unsigned(make_complete_claim())

        answers = double_tap(reverse("kiosk:claim-submit", args=[claim.reference]), associate)

        assert answers == [302, 302]
        assert_every_named_file_is_there(claim)
        assert claim.status == Claim.Status.FILED


def test_a_signature_save_that_rolls_back_leaves_the_file_a_queued_claim_names(
    complete_claim, media_server
):
    stale = Claim.objects.get(pk=complete_claim.pk)  # the second tap loaded it before the first
    queue(complete_claim, media_server)

    with pytest.raises(ClaimNotEditable):
        sign(stale)

    assert_every_named_file_is_there(complete_claim)


def test_a_signature_saved_while_the_first_tap_builds_the_body_is_not_lost(
    complete_claim, media_server
):
    # The first tap loaded the claim with its signature; the second tap's signature
    # replaces it before the first tap queues.
    first_tap = Claim.objects.prefetch_related("attachments").get(pk=complete_claim.pk)
    list(first_tap.attachments.all())
    sign(Claim.objects.get(pk=complete_claim.pk))

    result = claim_submit(claim=first_tap, media_base_url=media_server, deadline=0.01)

    assert result.result != Result.NOT_EDITABLE
    assert_every_named_file_is_there(complete_claim)


def test_discarding_the_files_of_a_queued_claim_leaves_them(complete_claim, media_server):
    queue(complete_claim, media_server)
    names = [a.file.name for a in complete_claim.attachments.all()]

    for attachment in complete_claim.attachments.all():
        attachment_discard(attachment=attachment)

    assert names and all(default_storage.exists(name) for name in names)


def test_removing_a_photo_of_a_claim_queued_meanwhile_leaves_it(complete_claim, media_server):
    stale = Claim.objects.get(pk=complete_claim.pk)
    photo = complete_claim.attachments.get(kind=ClaimAttachment.Kind.ITEM)
    queue(complete_claim, media_server)

    with pytest.raises(ClaimNotEditable):
        claim_remove_attachment(claim=stale, attachment_id=photo.pk)

    photo.refresh_from_db()
    assert photo.removed_at is None
    assert_every_named_file_is_there(complete_claim)


def test_the_tablet_cannot_remove_a_photo_of_a_queued_claim(
    associate_client, complete_claim, media_server
):
    photo = complete_claim.attachments.get(kind=ClaimAttachment.Kind.RECEIPT)
    queue(complete_claim, media_server)

    response = associate_client.post(
        reverse("kiosk:photo-remove", args=[complete_claim.reference, photo.pk])
    )

    assert response.status_code == 409
    photo.refresh_from_db()
    assert photo.removed_at is None
    assert_every_named_file_is_there(complete_claim)


def test_the_personal_data_purge_leaves_a_claim_still_on_its_way(
    complete_claim, media_server, settings
):
    queue(complete_claim, media_server)
    days = settings.PERSONAL_DATA_RETENTION_DAYS + 1
    long_ago = timezone.now() - datetime.timedelta(days=days)
    Claim.objects.filter(pk=complete_claim.pk).update(submitted_at=long_ago)

    report = personal_data_purge()

    assert report.claims == 0
    assert_every_named_file_is_there(complete_claim)


@pytest.fixture
def own_media(settings, tmp_path):
    """A media folder of the test's own, so that the sweep sees only this test's files."""
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def aged(name: str, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(default_storage.path(name), (then, then))


def test_the_sweep_removes_a_rolled_back_signature_and_nothing_a_row_or_a_claim_names(
    own_media, complete_claim, media_server, settings
):
    stale = Claim.objects.get(pk=complete_claim.pk)
    queue(complete_claim, media_server)
    with pytest.raises(ClaimNotEditable):
        sign(stale)
    removed = complete_claim.attachments.get(kind=ClaimAttachment.Kind.ITEM)
    ClaimAttachment.objects.filter(pk=removed.pk).update(removed_at=timezone.now())
    named = {n for a in ClaimAttachment.objects.all() for n in (a.file.name, a.thumbnail.name)}
    all_files = stored_names()
    rolled_back = all_files - named
    assert len(rolled_back) == 2  # the second tap's signature and its thumbnail
    for name in all_files:
        aged(name, settings.MEDIA_ORPHAN_GRACE_SECONDS + 60)
    young = attach(complete_claim, ClaimAttachment.Kind.RECEIPT, image_bytes("PNG"))
    ClaimAttachment.objects.filter(pk=young.pk).delete()  # its request is still running
    out = StringIO()

    call_command("purge_orphan_files", stdout=out)

    assert stored_names() == named | {young.file.name, young.thumbnail.name}
    assert "2 file(s)" in out.getvalue()
    assert_every_named_file_is_there(complete_claim)


def test_the_sweep_keeps_a_file_only_a_sent_body_names(own_media, complete_claim, media_server):
    queue(complete_claim, media_server)
    signature = complete_claim.attachments.get(kind=ClaimAttachment.Kind.SIGNATURE)
    ClaimAttachment.objects.filter(pk=signature.pk).delete()
    for name in stored_names():
        aged(name, 10 * 24 * 3600)

    call_command("purge_orphan_files", stdout=StringIO())

    assert default_storage.exists(signature.file.name)
    assert not default_storage.exists(signature.thumbnail.name)


def test_a_regular_sweep_reads_recent_months_and_every_month_reads_them_all(own_media):
    old_orphan = "claims/2019/03/left-by-a-rolled-back-request.png"
    recent_orphan = f"claims/{timezone.now():%Y/%m}/left-by-a-rolled-back-request.png"
    for name in (old_orphan, recent_orphan):
        default_storage.save(name, ContentFile(b"not named by any row"))
        aged(name, 10 * 24 * 3600)

    call_command("purge_orphan_files", stdout=StringIO())

    assert stored_names() == {old_orphan}

    call_command("purge_orphan_files", "--every-month", stdout=StringIO())

    assert stored_names() == set()


def stored_names() -> set[str]:
    names = set()
    for top in ("claims", "thumbnails"):
        for root, _, files in os.walk(os.path.join(default_storage.location, top)):
            relative = os.path.relpath(root, default_storage.location)
            names |= {f"{relative}/{name}".replace(os.sep, "/") for name in files}
    return names
