"""Logs that help on call: one JSON line per event, tracebacks kept, no customer's data."""

import copy
import io
import json
import logging
import logging.config
import re
import time

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from kiosk.delivery.sending import claim_deliver
from kiosk.logs import redacted
from kiosk.models import Claim


@pytest.fixture
def log_output():
    """What the handlers of settings.LOGGING write, its stdout handler writing to a buffer.

    In production's format (LOG_FORMAT=json); Django's own configuration is put back after.
    """
    stream = io.StringIO()
    config = copy.deepcopy(django_settings.LOGGING)
    config["handlers"]["stdout"] |= {"stream": stream, "formatter": "json"}
    logging.config.dictConfig(config)
    yield stream
    logging.config.dictConfig(django_settings.LOGGING)


def lines(log_output: io.StringIO) -> list[dict]:
    """The lines written so far, one JSON object each."""
    return [json.loads(line) for line in log_output.getvalue().splitlines()]


def personal_values(claim: Claim) -> list[str]:
    return [
        claim.customer_email,
        claim.customer_phone,
        claim.customer_phone.removeprefix("+1"),
        claim.ship_first_name,
        claim.ship_last_name,
        claim.ship_address1,
    ]


def test_a_claim_with_delivery_faults_and_a_rejected_login_leaves_no_personal_data(
    client, associate_client, complete_claim, api_to_sandbox, media_server, settings, log_output
):
    settings.ORDERPROTECTION_API_TOKEN = "sandbox-token"
    api_to_sandbox.set_faults(mode="error_503", times=2)
    Client().post(reverse("login"), {"username": "alex", "password": "wrong password"})

    associate_client.post(reverse("kiosk:claim-submit", args=[complete_claim.reference]))
    for _ in range(40):
        complete_claim.refresh_from_db()
        if complete_claim.status == Claim.Status.FILED:
            break
        time.sleep(0.1)
        claim_deliver(claim_pk=complete_claim.pk)

    assert complete_claim.status == Claim.Status.FILED
    logged = lines(log_output)
    text = log_output.getvalue()
    assert any(complete_claim.reference in line["message"] for line in logged)
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in logged)
    for value in [*personal_values(complete_claim), "sandbox-token", "wrong password"]:
        # As a word: a stored file's random name may hold "Doe" by chance.
        assert value and not re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text), value


def test_a_500_is_logged_with_its_traceback_and_masked(associate_client, monkeypatch, log_output):
    def broken(**kwargs):
        raise RuntimeError("boom for jane.doe@example.com at +1 212 555 0147")

    monkeypatch.setattr("kiosk.views.associate_open_claims", broken)
    associate_client.raise_request_exception = False

    response = associate_client.get(reverse("kiosk:home"))

    assert response.status_code == 500
    (error,) = [line for line in lines(log_output) if line["logger"] == "django.request"]
    assert error["level"] == "ERROR" and "Internal Server Error: /" in error["message"]
    assert "Traceback" in error["exc_info"] and "RuntimeError" in error["exc_info"]
    assert "jane.doe@example.com" not in json.dumps(error)
    assert "212 555 0147" not in json.dumps(error)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("mail to jane.doe+claims@example.co.uk refused", "mail to [email] refused"),
        ("call (212) 555-0147 or +44 20 7946 0958", "call [phone] or [phone]"),
        ("Authorization: Bearer abc.def-123456", "Authorization: Bearer [secret]"),
        ("claim R-7K2M9QXA filed as SB-1234-5678", "claim R-7K2M9QXA filed as SB-1234-5678"),
        # Longer than RFC 5321 allows, yet accepted by the form: masked whole.
        (f"to {'j' * 70}@example.com", "to [email]"),
        ("no address here: @example.com", "no address here: @example.com"),
        # Long lines a request can put in the log (a 404's URL) are read once, not once
        # per character: quadratic patterns took a minute on these.
        (f"GET /{'a' * 100_000} 404", f"GET /{'a' * 100_000} 404"),
        (f"GET /{'1' * 100_000}x 404", f"GET /{'1' * 100_000}x 404"),
        (f"GET /{'a' * 100_000}@example.com", "GET /[email]"),
    ],
    ids=[
        "email",
        "phones",
        "bearer",
        "reference",
        "long local part",
        "no local part",
        "long word",
        "long number",
        "long address",
    ],
)
def test_personal_data_and_secrets_are_masked(text, masked):
    assert redacted(text) == masked


def test_the_time_and_the_names_are_not_mistaken_for_phone_numbers(log_output):
    logging.getLogger("kiosk.delivery.sending").info("Claim %s: filed", "R-7K2M9QXA")

    (line,) = lines(log_output)

    assert line["time"][:4].isdigit() and "[phone]" not in line["time"]
    assert line["message"] == "Claim R-7K2M9QXA: filed"


def test_the_api_token_appears_nowhere(
    admin_client, associate_client, complete_claim, api_to_sandbox, media_server, settings, rf
):
    from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

    settings.ORDERPROTECTION_API_TOKEN = token = "op-live-token-3f9a8c1d2e"
    associate_client.post(reverse("kiosk:claim-submit", args=[complete_claim.reference]))
    attempt = complete_claim.attempts.get()

    pages = [
        admin_client.get(reverse("admin:kiosk_claim_change", args=[complete_claim.pk])),
        admin_client.get(reverse("admin:kiosk_deliveryattempt_change", args=[attempt.pk])),
        admin_client.get(reverse("admin:kiosk_deliveryattempt_changelist")),
    ]
    try:
        raise RuntimeError("while sending")
    except RuntimeError as error:
        report = ExceptionReporter(rf.get("/"), type(error), error, error.__traceback__)
        technical_500 = report.get_traceback_text()

    assert all(page.status_code == 200 for page in pages)
    assert all(token not in page.content.decode() for page in pages)
    assert token not in technical_500
    assert SafeExceptionReporterFilter().get_safe_settings()["ORDERPROTECTION_API_TOKEN"] != token
    assert token not in redacted(f"Authorization: Bearer {token}")
