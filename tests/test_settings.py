import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from claims_portal.settings import env_choice

ROOT = Path(__file__).resolve().parents[1]


def test_env_example_documents_every_variable_the_settings_read():
    settings_source = (ROOT / "claims_portal" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+|_choice)\(\s*"([A-Z_0-9]+)"', settings_source))
    documented = set(re.findall(r"^([A-Z_0-9]+)=", (ROOT / ".env.example").read_text(), re.M))

    assert read, "the pattern found no variables"
    assert read - documented == set()


def test_env_choice_fails_loudly_on_a_bad_value(monkeypatch):
    monkeypatch.setenv("ORDERPROTECTION_STATE_VALUE", "abbreviation")

    with pytest.raises(ImproperlyConfigured, match="not one of name, code"):
        env_choice("ORDERPROTECTION_STATE_VALUE", choices=("name", "code"), default="name")


def test_check_requires_public_media_base_url_in_production(settings, db):
    settings.DEBUG = False
    settings.PUBLIC_MEDIA_BASE_URL = ""

    with pytest.raises(SystemCheckError, match="kiosk.E001"):
        call_command("check")

    settings.PUBLIC_MEDIA_BASE_URL = "https://claims.example.com"
    call_command("check")
