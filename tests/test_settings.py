import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from claims_portal.settings import env_choice, env_origin, env_seconds

ROOT = Path(__file__).resolve().parents[1]


def test_env_example_documents_every_variable_the_settings_read():
    settings_source = (ROOT / "claims_portal" / "settings.py").read_text()
    read = set(
        re.findall(r'env(?:\.\w+|_choice|_origin|_seconds)\(\s*"([A-Z_0-9]+)"', settings_source)
    )
    documented = set(re.findall(r"^([A-Z_0-9]+)=", (ROOT / ".env.example").read_text(), re.M))

    assert read, "the pattern found no variables"
    assert read - documented == set()


def test_env_choice_fails_loudly_on_a_bad_value(monkeypatch):
    monkeypatch.setenv("ORDERPROTECTION_STATE_VALUE", "abbreviation")

    with pytest.raises(ImproperlyConfigured, match="not one of name, code"):
        env_choice("ORDERPROTECTION_STATE_VALUE", choices=("name", "code"), default="name")


def test_the_idle_warning_gives_at_least_20_seconds(monkeypatch):
    monkeypatch.setenv("KIOSK_IDLE_WARNING_SECONDS", "10")

    with pytest.raises(ImproperlyConfigured, match="KIOSK_IDLE_WARNING_SECONDS=10 is under 20"):
        env_seconds("KIOSK_IDLE_WARNING_SECONDS", default=30, at_least=20, why="WCAG 2.2.1.")

    monkeypatch.setenv("KIOSK_IDLE_WARNING_SECONDS", "20")
    assert env_seconds("KIOSK_IDLE_WARNING_SECONDS", default=30, at_least=20, why="") == 20


def test_the_settings_refuse_an_idle_warning_under_20_seconds():
    started = subprocess.run(
        [sys.executable, "-c", "import claims_portal.settings"],
        cwd=ROOT,
        env={"ENV_FILE": "/dev/null", "DEBUG": "true", "KIOSK_IDLE_WARNING_SECONDS": "15"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert started.returncode != 0
    assert "KIOSK_IDLE_WARNING_SECONDS=15 is under 20 seconds" in started.stderr


@pytest.mark.parametrize(
    "value",
    ["claims.example.com", "ftp://claims.example.com", "https://", "https://x.example/reset"],
)
def test_env_origin_refuses_anything_but_a_scheme_and_host(monkeypatch, value):
    monkeypatch.setenv("PORTAL_BASE_URL", value)

    with pytest.raises(ImproperlyConfigured, match="is not a scheme and host"):
        env_origin("PORTAL_BASE_URL")


def test_env_origin_keeps_a_scheme_host_and_port(monkeypatch):
    monkeypatch.setenv("PORTAL_BASE_URL", "http://192.168.1.20:8000/")

    assert env_origin("PORTAL_BASE_URL") == "http://192.168.1.20:8000"


def test_check_requires_public_media_base_url_in_production(settings, db):
    settings.DEBUG = False
    settings.PUBLIC_MEDIA_BASE_URL = ""

    with pytest.raises(SystemCheckError, match="kiosk.E001"):
        call_command("check")

    settings.PUBLIC_MEDIA_BASE_URL = "https://claims.example.com"
    call_command("check")


def mailers_under(email_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from claims_portal import settings; print(settings.MAILERS)"],
        cwd=ROOT,
        env={"ENV_FILE": "/dev/null", "DEBUG": "true", "EMAIL_URL": email_url},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_file_mailer_gets_its_folder_beside_manage_py_or_absolute():
    relative = mailers_under("filemail:///outbox")
    absolute = mailers_under("filemail:////var/spool/claims-outbox")
    without_folder = mailers_under("filemail://")

    assert f"'file_path': '{ROOT / 'outbox'}'" in relative.stdout, relative.stderr
    assert "'file_path': '/var/spool/claims-outbox'" in absolute.stdout, absolute.stderr
    assert "EMAIL_URL=filemail:// needs a folder" in without_folder.stderr
