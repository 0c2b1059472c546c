"""What `make run` sets up: secrets generated once into .env, and emails kept out of the log."""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from claims_portal.env_file import GENERATED_SECRETS, env_file_values

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_VALUES = {"sandbox-token", "sandbox-webhook-secret", "development-only-not-secret"}


def clean_environment(**variables: str) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    return kept | variables


def env_file_command(*args: str, env_file: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "claims_portal.env_file", *args],
        cwd=ROOT,
        env=clean_environment(ENV_FILE=str(env_file)),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def project_copy(tmp_path):
    """The Makefile and the secrets script in a folder of their own, with the shared venv."""
    copy = tmp_path / "project"
    (copy / "claims_portal").mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", copy / "Makefile")
    shutil.copy(ROOT / "claims_portal" / "env_file.py", copy / "claims_portal" / "env_file.py")
    (copy / ".venv").symlink_to(ROOT / ".venv")
    return copy


def make_env_secrets(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-s", "-o", ".venv/.installed-run", "env-secrets"],
        cwd=project,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_generates_each_secret_into_a_new_env_file(project_copy):
    result = make_env_secrets(project_copy)

    assert result.returncode == 0, result.stderr
    env_file = project_copy / ".env"
    values = env_file_values(env_file)
    assert set(values) == set(GENERATED_SECRETS)
    assert all(len(value) >= 40 for value in values.values())
    assert not PUBLIC_VALUES & set(values.values())
    assert len(set(values.values())) == len(values)
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_make_appends_missing_secrets_and_never_changes_one(project_copy):
    env_file = project_copy / ".env"
    env_file.write_text("SECRET_KEY=the-key-i-already-had")  # no newline at the end

    first = make_env_secrets(project_copy)
    after_first = env_file.read_text()
    second = make_env_secrets(project_copy)

    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    values = env_file_values(env_file)
    assert values["SECRET_KEY"] == "the-key-i-already-had"
    assert values["SANDBOX_TOKEN"] and values["SANDBOX_WEBHOOK_SECRET"]
    assert "Generated SANDBOX_TOKEN" in first.stdout and "SECRET_KEY" not in first.stdout
    assert env_file.read_text() == after_first
    assert second.stdout == ""


def test_env_file_refuses_a_secret_set_to_nothing(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("SECRET_KEY=mine\nSANDBOX_TOKEN=\n")

    result = env_file_command("secrets", env_file=env_file)

    assert result.returncode == 1
    assert "sets SANDBOX_TOKEN to nothing" in result.stderr
    assert env_file.read_text() == "SECRET_KEY=mine\nSANDBOX_TOKEN=\n"


def test_env_file_get_reads_the_environment_first(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("SANDBOX_TOKEN='from-the-file'\n")

    from_file = env_file_command("get", "SANDBOX_TOKEN", env_file=env_file)
    overridden = subprocess.run(
        [sys.executable, "-m", "claims_portal.env_file", "get", "SANDBOX_TOKEN"],
        cwd=ROOT,
        env=clean_environment(ENV_FILE=str(env_file), SANDBOX_TOKEN="from-the-shell"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert from_file.stdout == "from-the-file\n"
    assert overridden.stdout == "from-the-shell\n"


def test_make_run_writes_emails_to_the_outbox_not_to_the_log(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("SECRET_KEY=" + "k" * 50 + "\nSANDBOX_TOKEN=t\nSANDBOX_WEBHOOK_SECRET=w\n")
    outbox = tmp_path / "outbox"
    # The environment `make run` serves with, around Django's own test-mail command.
    send = "mail-check: ; $(RUN_ENV) $(PY) manage.py sendtestemail customer@example.com"

    result = subprocess.run(
        ["make", "-s", "--no-print-directory", f"--eval={send}", "mail-check", f"OUTBOX={outbox}"],
        cwd=ROOT,
        env=clean_environment(
            ENV_FILE=str(env_file), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    [mail_file] = outbox.iterdir()
    assert "To: customer@example.com" in mail_file.read_text()
    assert "customer@example.com" not in result.stdout + result.stderr
