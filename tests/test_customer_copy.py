"""The customer's copy: one email per claim, sent in the background, and a printable receipt."""

import json
import smtplib
import subprocess
import sys

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from kiosk.delivery.results import Result
from kiosk.followup.customer_copy import customer_copy_send
from kiosk.followup.tasks import customer_copy_queue, customer_copy_retry, customer_copy_send_task
from kiosk.models import Claim
from kiosk.services.submission import claim_submit
from tests.factories import ClaimFactory, UserFactory

COPY_TASK = f"{customer_copy_send_task.func.__module__}.{customer_copy_send_task.func.__qualname__}"


class RefusingEmailBackend(BaseEmailBackend):
    """An SMTP server that refuses the recipient."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"customer@example.com": (550, b"No such user")})


def copy_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=COPY_TASK))


def run_queued_tasks() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def submitted(store, **fields) -> Claim:
    """A claim as the associate's submit leaves it, with its copy queued."""
    from django.utils import timezone

    fields = {
        "status": Claim.Status.FILED,
        "claim_number": "SB-1234-5678",
        "submitted_at": timezone.now(),
    } | fields
    claim = ClaimFactory(store=store, **fields)
    customer_copy_queue(claim=claim)
    return claim


@pytest.mark.django_db(transaction=True)
def test_submitting_sends_one_copy_with_the_claim_number(
    complete_claim, api_to_sandbox, media_server
):
    result = claim_submit(claim=complete_claim, media_base_url=media_server)
    claim_submit(claim=complete_claim, media_base_url=media_server)  # a double tap
    run_queued_tasks()
    run_queued_tasks()

    assert result.result == Result.FILED
    complete_claim.refresh_from_db()
    assert complete_claim.customer_copy_status == Claim.CustomerCopyStatus.SENT
    assert complete_claim.customer_copy_sent_at is not None
    assert len(copy_tasks()) == 1
    [email] = mail.outbox
    assert email.to == ["customer@example.com"]
    assert email.subject == f"Your warranty claim {complete_claim.claim_number} at Main Street"
    html = email.alternatives[0].content
    for body in (email.body, html):
        assert complete_claim.claim_number in body
        assert "Main Street" in body
        assert "Espresso machine (SKU-12345)" in body
        assert "OrderProtection reviews your claim." in body
        assert "sandbox-token" not in body
    assert "<script" not in html and "style=" not in html


@pytest.mark.django_db(transaction=True)
def test_a_claim_still_on_its_way_gets_its_reference_and_the_number_follows(
    complete_claim, api_to_sandbox, media_server
):
    api_to_sandbox.set_faults(mode="error_503", times=1)

    result = claim_submit(claim=complete_claim, media_base_url=media_server)
    customer_copy_send_task.call(complete_claim.pk)  # before the worker files the claim

    assert result.result == Result.QUEUED
    [email] = mail.outbox
    assert complete_claim.reference in email.subject
    assert complete_claim.reference in email.body
    assert "The claim number follows once OrderProtection has confirmed the claim" in email.body


@pytest.mark.django_db(transaction=True)
def test_a_claim_rejected_for_correction_gets_no_copy_yet(
    settings, complete_claim, api_to_sandbox, media_server
):
    # The receipt's file is gone, so the API cannot fetch it and rejects the claim: not a
    # fetch to retry (the photo is not there), the associate corrects it.
    receipt = complete_claim.attachments.get(kind="receipt")
    name, photo = receipt.file.name, receipt.file.read()
    receipt.file.delete(save=False)
    result = claim_submit(claim=complete_claim, media_base_url=media_server)

    assert result.result == Result.REJECTED
    complete_claim.refresh_from_db()
    assert complete_claim.customer_copy_status == ""
    assert copy_tasks() == []

    assert default_storage.save(name, ContentFile(photo)) == name  # the photo taken again
    claim_submit(claim=complete_claim, media_base_url=media_server)
    complete_claim.refresh_from_db()
    assert complete_claim.customer_copy_status == Claim.CustomerCopyStatus.QUEUED


def test_a_failing_mail_server_leaves_the_claim_filed_and_says_why(settings, store):
    settings.MAILERS = {"default": {"BACKEND": "tests.test_customer_copy.RefusingEmailBackend"}}
    claim = submitted(store)

    assert customer_copy_send(claim_pk=claim.pk) == Claim.CustomerCopyStatus.FAILED

    claim.refresh_from_db()
    assert claim.status == Claim.Status.FILED
    assert claim.claim_number == "SB-1234-5678"
    assert claim.customer_copy_status == Claim.CustomerCopyStatus.FAILED
    assert claim.customer_copy_error.startswith("SMTPRecipientsRefused:")
    assert "No such user" in claim.customer_copy_error
    assert claim.customer_copy_sent_at is None


def test_a_failed_copy_can_be_queued_again_and_is_then_sent_once(settings, store):
    settings.MAILERS = {"default": {"BACKEND": "tests.test_customer_copy.RefusingEmailBackend"}}
    claim = submitted(store)
    customer_copy_send(claim_pk=claim.pk)
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

    assert customer_copy_retry(claim=claim)
    assert customer_copy_send(claim_pk=claim.pk) == Claim.CustomerCopyStatus.SENT
    assert not customer_copy_retry(claim=claim)
    assert customer_copy_send(claim_pk=claim.pk) == "not queued"

    claim.refresh_from_db()
    assert (claim.customer_copy_status, claim.customer_copy_error) == ("sent", "")
    assert len(mail.outbox) == 1


def test_a_queue_that_refuses_the_task_is_recorded_and_the_claim_is_untouched(store, monkeypatch):
    def refuse(*args):
        raise ConnectionError("the task queue is down")

    monkeypatch.setattr(DatabaseBackend, "enqueue", refuse)

    claim = submitted(store)

    claim.refresh_from_db()
    assert claim.status == Claim.Status.FILED
    assert claim.customer_copy_status == Claim.CustomerCopyStatus.FAILED
    assert claim.customer_copy_error == "ConnectionError: the task queue is down"


def test_a_claim_without_an_email_address_is_recorded_as_such(store):
    claim = submitted(store, customer_email="")

    customer_copy_send(claim_pk=claim.pk)

    claim.refresh_from_db()
    assert claim.customer_copy_status == Claim.CustomerCopyStatus.NO_EMAIL
    assert mail.outbox == []


def test_the_receipt_page_has_the_copy_with_the_contact_masked(associate_client, store):
    claim = submitted(store, customer_email="jane.doe@example.com")

    response = associate_client.get(reverse("kiosk:claim-receipt", args=[claim.reference]))

    content = response.content.decode()
    assert response.status_code == 200
    for text in ("SB-1234-5678", "Main Street", "Espresso machine (SKU-12345)", "j•••@example.com"):
        assert text in content
    assert "jane.doe@example.com" not in content
    assert "kiosk/receipt.css" in content
    assert "<style" not in content and "style=" not in content


def test_the_result_page_links_to_the_receipt(associate_client, store):
    claim = submitted(store)

    response = associate_client.get(reverse("kiosk:claim-result", args=[claim.reference]))

    assert reverse("kiosk:claim-receipt", args=[claim.reference]) in response.content.decode()
    assert "Print the customer's copy" in response.content.decode()


def test_the_receipt_page_is_for_the_stores_associates_and_submitted_claims(client, store):
    claim = submitted(store)
    associate = UserFactory(username="elsewhere")
    draft = ClaimFactory(store=store, status=Claim.Status.DRAFT, created_by=associate)
    url = reverse("kiosk:claim-receipt", args=[claim.reference])

    assert client.get(url).status_code == 302  # to the login page
    client.force_login(associate)
    assert client.get(url).status_code == 404
    store.members.add(associate)
    assert client.get(url).status_code == 200
    response = client.get(reverse("kiosk:claim-receipt", args=[draft.reference]))
    assert response.url == reverse("kiosk:claim-resume", args=[draft.reference])


CONSOLE = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize(
    "environment, mailer",
    [
        ({}, {"BACKEND": CONSOLE}),
        (
            {"EMAIL_URL": "smtp+tls://mailer:s%40cret@smtp.example.com:587"},
            {
                "BACKEND": SMTP,
                "OPTIONS": {
                    "host": "smtp.example.com",
                    "port": 587,
                    "username": "mailer",
                    "password": "s@cret",
                    "use_tls": True,
                    "use_ssl": False,
                    "timeout": 10.0,
                },
            },
        ),
        (
            {"EMAIL_HOST": "smtp.example.com", "EMAIL_PORT": "2525", "EMAIL_TIMEOUT": "3"},
            {
                "BACKEND": SMTP,
                "OPTIONS": {
                    "host": "smtp.example.com",
                    "port": 2525,
                    "username": "",
                    "password": "",
                    "use_tls": True,
                    "use_ssl": False,
                    "timeout": 3.0,
                },
            },
        ),
    ],
)
def test_the_mailer_comes_from_the_environment(environment, mailer):
    code = (
        "import json, warnings; warnings.simplefilter('error');"
        "from claims_portal import settings as s; print(json.dumps(s.MAILERS['default']))"
    )
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "true", **environment}

    output = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout

    assert json.loads(output) == mailer


def test_production_smtp_needs_a_sender_address():
    env = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "x", "ORDERPROTECTION_API_TOKEN": "x"}
    env |= {"EMAIL_HOST": "smtp.example.com"}

    run = subprocess.run(
        [sys.executable, "-c", "import claims_portal.settings"],
        env=env,
        capture_output=True,
        text=True,
    )

    assert run.returncode != 0
    assert "DEFAULT_FROM_EMAIL" in run.stderr
