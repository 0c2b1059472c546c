"""Photos in S3 (django-storages) against a real S3-compatible server: moto's, over HTTP."""

import hashlib

import pytest
import requests
from django.urls import reverse

from kiosk.models import Claim, ClaimAttachment
from kiosk.services.attachments import attachment_public_url
from kiosk.services.submission import claim_submit
from tests.conftest import attach
from tests.images import phone_photo


def test_an_upload_becomes_a_url_that_fetches_the_stored_photo(s3_storage, complete_claim):
    photo = attach(complete_claim, ClaimAttachment.Kind.ITEM, phone_photo())

    url = attachment_public_url(attachment=photo, media_base_url="https://unused.test")
    fetched = requests.get(url, timeout=10)

    assert url.startswith(s3_storage + "/claims-media/claims/")
    assert fetched.status_code == 200
    assert hashlib.sha256(fetched.content).hexdigest() == photo.sha256
    assert photo.thumbnail.storage.exists(photo.thumbnail.name)
    thumbnail = photo.thumbnail.storage.url(photo.thumbnail.name)
    assert requests.get(thumbnail, timeout=10).status_code == 403  # staff-only


def test_presigned_urls_when_urls_are_signed(s3_storage, complete_claim, settings):
    settings.MEDIA_SIGNED_URLS = True
    settings.STORAGES["default"]["OPTIONS"]["querystring_auth"] = True
    settings.STORAGES = dict(settings.STORAGES)
    photo = attach(complete_claim, ClaimAttachment.Kind.RECEIPT, phone_photo())

    url = attachment_public_url(attachment=photo, media_base_url="https://unused.test")

    assert "X-Amz-Signature=" in url and "X-Amz-Expires=604800" in url
    assert requests.get(url, timeout=10).status_code == 200


def test_staff_see_s3_photos_through_the_photo_view(s3_storage, associate_client, complete_claim):
    photo = attach(complete_claim, ClaimAttachment.Kind.ITEM, phone_photo())

    response = associate_client.get(reverse("kiosk:photo-thumbnail", args=[photo.pk]))

    assert response.status_code == 200
    assert len(b"".join(response.streaming_content)) < 40_000


@pytest.mark.django_db(transaction=True)
def test_a_claim_with_s3_photos_is_filed_and_the_api_fetches_them(
    s3_storage, make_complete_claim, api_to_sandbox
):
    claim = make_complete_claim()

    claim_submit(claim=claim, media_base_url="https://unused.test")

    claim.refresh_from_db()
    assert claim.status == Claim.Status.FILED
    received = api_to_sandbox.received[-1]
    assert received.fetched_images
    assert all(url.startswith(s3_storage) for url in received.fetched_images)


@pytest.mark.django_db(transaction=True)
def test_s3_needs_no_public_media_base_url(
    s3_storage, make_complete_claim, api_to_sandbox, associate_client, settings
):
    settings.PUBLIC_MEDIA_BASE_URL = ""
    claim = make_complete_claim()

    response = associate_client.post(reverse("kiosk:claim-submit", args=[claim.reference]))

    claim.refresh_from_db()
    assert response.status_code == 302
    assert claim.status == Claim.Status.FILED
    assert all(url.startswith(s3_storage) for url in api_to_sandbox.received[-1].fetched_images)


def test_the_orphan_sweep_lists_the_bucket_and_keeps_what_a_row_names(s3_storage, complete_claim):
    from kiosk.services.stored_files import orphan_files_purge

    named = attach(complete_claim, ClaimAttachment.Kind.ITEM, phone_photo())
    orphan = attach(complete_claim, ClaimAttachment.Kind.ITEM, phone_photo())
    ClaimAttachment.objects.filter(pk=orphan.pk).delete()  # as if its request rolled back
    storage = named.file.storage

    # A grace period in the future: every stored file counts as old enough.
    # The bucket also holds what earlier tests of this module left.
    report = orphan_files_purge(older_than_seconds=-60)

    assert report.files_removed >= 2
    assert storage.exists(named.file.name) and storage.exists(named.thumbnail.name)
    assert not storage.exists(orphan.file.name) and not storage.exists(orphan.thumbnail.name)
