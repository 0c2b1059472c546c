"""Who can fetch a photo: staff of its store through the photo view, the API by its URL."""

import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from kiosk.models import ClaimAttachment
from kiosk.services.attachments import attachment_public_url
from tests.conftest import attach
from tests.factories import StoreFactory, UserFactory
from tests.images import image_bytes


@pytest.fixture
def photo(complete_claim):
    return attach(complete_claim, ClaimAttachment.Kind.ITEM, image_bytes("JPEG", size=(1200, 900)))


def test_staff_of_the_store_see_the_photo_and_its_thumbnail(associate_client, photo):
    full = associate_client.get(reverse("kiosk:photo", args=[photo.pk]))
    thumb = associate_client.get(reverse("kiosk:photo-thumbnail", args=[photo.pk]))

    assert full.status_code == thumb.status_code == 200
    assert full["Content-Type"] == "image/jpeg"
    assert full["Cache-Control"] == "private, max-age=3600"
    assert len(b"".join(thumb.streaming_content)) < len(b"".join(full.streaming_content))


def test_without_a_login_a_photo_url_goes_to_the_login_page(client, photo):
    response = client.get(reverse("kiosk:photo", args=[photo.pk]))

    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_staff_of_another_store_get_a_404(client, photo):
    outsider = UserFactory(username="other-store", is_staff=True)
    StoreFactory(members=[outsider])
    client.force_login(outsider)

    assert client.get(reverse("kiosk:photo", args=[photo.pk])).status_code == 404
    assert client.get(reverse("kiosk:photo-thumbnail", args=[photo.pk])).status_code == 404


def test_the_public_url_serves_only_claim_files_and_never_a_listing(client, photo):
    public = attachment_public_url(attachment=photo, media_base_url="http://testserver")

    assert client.get(public).status_code == 200
    assert client.get(f"/media/{photo.thumbnail.name}").status_code == 404
    folder = photo.file.name.rsplit("/", 1)[0]
    assert client.get(f"/media/{folder}/").status_code == 404
    assert client.get("/media/").status_code == 404
    assert client.get("/media/claims/../settings.py").status_code == 404


def test_signed_public_urls_expire(client, photo, settings):
    settings.MEDIA_SIGNED_URLS = True
    settings.MEDIA_SIGNED_URL_MAX_AGE = 1

    signed = attachment_public_url(attachment=photo, media_base_url="http://testserver")
    unsigned = f"/media/{photo.file.name}"
    tampered = signed.replace("signature=", "signature=x")

    assert client.get(signed).status_code == 200
    assert client.get(unsigned).status_code == 404
    assert client.get(tampered).status_code == 404
    time.sleep(2.1)
    assert client.get(signed).status_code == 404


def test_abandoned_drafts_lose_their_photos_and_the_purge_is_idempotent(
    complete_claim, django_capture_on_commit_callbacks
):
    import datetime
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    from kiosk.models import Claim
    from tests.factories import ClaimFactory

    recent = ClaimFactory(store=complete_claim.store, created_by=complete_claim.created_by)
    attach(recent, ClaimAttachment.Kind.ITEM, image_bytes("JPEG"))
    long_ago = timezone.now() - datetime.timedelta(days=8)
    Claim.objects.filter(pk=complete_claim.pk).update(updated_at=long_ago)
    files = [a.file.name for a in complete_claim.attachments.all()]
    storage = complete_claim.attachments.first().file.storage
    first, again = StringIO(), StringIO()

    with django_capture_on_commit_callbacks(execute=True):  # files go after the commit
        call_command("purge_abandoned_drafts", stdout=first)
    call_command("purge_abandoned_drafts", stdout=again)

    assert "3 photo(s) and signature(s) removed from 1 abandoned draft(s)" in first.getvalue()
    assert "0 photo(s)" in again.getvalue()
    assert not complete_claim.attachments.exists()
    assert not any(storage.exists(name) for name in files)
    assert recent.attachments.count() == 1


def test_a_local_file_has_no_public_url_without_a_base(photo):
    with pytest.raises(ImproperlyConfigured, match="PUBLIC_MEDIA_BASE_URL is not set"):
        attachment_public_url(attachment=photo, media_base_url="")
