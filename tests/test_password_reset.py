"""Password reset by email: the link names the portal's configured address, never the Host."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

LINK = re.compile(r"\bhttps?://\S+")


@pytest.fixture
def manager_with_email(db):
    return UserFactory(username="riley", email="riley@example.com", is_staff=True)


def test_reset_link_uses_portal_base_url_not_the_requests_host(
    client, settings, manager_with_email
):
    settings.ALLOWED_HOSTS = ["*"]
    settings.PORTAL_BASE_URL = "https://claims.example.com"

    response = client.post(
        reverse("password_reset"), {"email": "riley@example.com"}, HTTP_HOST="evil.example"
    )

    assert response.status_code == 302
    [email] = mail.outbox
    [link] = LINK.findall(email.body)
    assert link.startswith("https://claims.example.com/accounts/reset/")
    assert "evil.example" not in email.body + email.subject
    # The link works: it leads to the form for a new password.
    set_password = client.get(link.removeprefix("https://claims.example.com"), follow=True)
    assert b'name="new_password1"' in set_password.content


def test_reset_by_email_is_off_without_portal_base_url(client, settings, manager_with_email):
    settings.PORTAL_BASE_URL = ""

    page = client.get(reverse("password_reset"))
    sent = client.post(reverse("password_reset"), {"email": "riley@example.com"})

    assert b"Password reset by email is not set up" in page.content
    assert b'name="email"' not in page.content
    assert b"Password reset by email is not set up" in sent.content
    assert mail.outbox == []
