"""What `make run` sets up: secrets generated once into .env, and emails kept out of the log."""

import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from claims_portal import run_banner
from claims_portal.env_file import GENERATED_SECRETS, env_file_values
from tests.workers import wait_for

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_run_start(tmp_path: Path, **environment: str) -> SimpleNamespace:
    """`make run` with one worker, on free ports, a database, media and logs of its own
    under tmp_path, in a session of its own; `banner_shown` is set once it prints its
    banner. Whoever starts it stops it (`ctrl_c`)."""
    secrets = {
        "SECRET_KEY": "secret-key-" + "k" * 50,
        "SANDBOX_TOKEN": "sandbox-token-" + "t" * 40,
        "SANDBOX_WEBHOOK_SECRET": "webhook-secret-" + "w" * 40,
    }
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in secrets.items()))
    port, sandbox_port = free_port(), free_port()
    app_port, media_port = free_port(), free_port()
    env = clean_environment(
        ENV_FILE=str(env_file),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        **environment,
    )
    process = subprocess.Popen(
        [
            "make",
            "--no-print-directory",
            "-o",
            ".venv/.installed-run",
            "-o",
            "node_modules/.installed",
            "run",
            f"PORT={port}",
            f"SANDBOX_PORT={sandbox_port}",
            f"APP_PORT={app_port}",
            f"MEDIA_PORT={media_port}",
            "WORKERS=1",
            f"OUTBOX={tmp_path / 'outbox'}",
            f"RUN_LOGS={tmp_path / 'log'}",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    banner_shown = threading.Event()

    def read() -> None:
        for line in process.stdout:
            lines.append(line)
            if "Stop with Ctrl+C." in line:
                banner_shown.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return SimpleNamespace(
        process=process,
        lines=lines,
        banner_shown=banner_shown,
        reader=reader,
        secrets=secrets,
        port=port,
        app_port=app_port,
        media_port=media_port,
        env=env,
        access_log=tmp_path / "log" / "access.log",
    )


@pytest.fixture(scope="module")
def make_run_output(tmp_path_factory):
    """What `make run` prints until its banner (or 300 s: a loaded machine); then it is
    stopped with Ctrl-C. Started once for the tests below."""
    run = make_run_start(tmp_path_factory.mktemp("make-run"))
    try:
        run.banner_shown.wait(timeout=300)
        running = session_processes(run.process.pid)
    finally:
        stopped = ctrl_c(run.process)
        run.reader.join(timeout=10)
    return SimpleNamespace(
        text="".join(run.lines),
        secrets=run.secrets,
        port=run.port,
        app_port=run.app_port,
        media_port=run.media_port,
        access_log=run.access_log,
        running=running,
        stopped=stopped,
        survivors=session_processes(run.process.pid),
    )


def session_processes(session: int) -> dict[int, str]:
    """The live processes of a session (`make run` started with start_new_session, and
    everything it started), by PID: their command lines."""
    found = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
            command = (stat_file.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue  # it ended meanwhile
        state, session_id = fields[0], int(fields[3])
        if session_id == session and state != "Z":
            found[int(stat_file.parent.name)] = command.strip()
    return found


def ctrl_c(process: subprocess.Popen) -> bool:
    """What Ctrl-C in its terminal does: SIGINT to `make run`'s foreground process group.
    Whether make ended (supervisord waits for every program to stop, up to their
    stopwaitsecs); if not, the group is killed, so that a failing test leaves nothing."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=90)
        return True
    except subprocess.TimeoutExpired:
        for pid in session_processes(process.pid):
            os.kill(pid, signal.SIGKILL)
        process.wait(timeout=30)
        return False


def test_make_run_prints_no_secret(make_run_output):
    assert "Listening at" in make_run_output.text, make_run_output.text
    for name, value in make_run_output.secrets.items():
        assert value not in make_run_output.text, f"{name} is in make run's output"


def test_make_run_prints_an_address_a_tablet_can_open(make_run_output):
    port = make_run_output.port
    text = make_run_output.text
    banner = text[text.index("The Store Claims Portal is running") :]
    urls = re.findall(rf"http://([\w.:-]+):{port}/", banner)
    lan = [host for host in urls if host not in ("0.0.0.0", "127.0.0.1", "localhost")]
    assert lan, banner
    assert "0.0.0.0" not in urls


def test_make_run_prints_the_logins_last_after_the_server_listens(make_run_output):
    text = make_run_output.text
    listening = text.index("Listening at")
    login = text.index("username: associate")
    assert listening < login < text.index("Stop with Ctrl+C.")
    # The requests (the banner's own wait for the portal) go to the access log, not here.
    assert "GET /healthz" in make_run_output.access_log.read_text()
    assert "GET /healthz" not in text


def test_make_run_supervises_every_program_and_ctrl_c_leaves_none_running(make_run_output):
    commands = list(make_run_output.running.values())

    assert any("supervisord" in command for command in commands), commands
    programs = (
        "-m sandbox",
        "manage.py delivery_worker",
        "sleep 60",
        "nginx: master process",  # the front, on PORT
        f"--bind 127.0.0.1:{make_run_output.app_port}",  # the app pool, behind it
        f"--bind 127.0.0.1:{make_run_output.media_port}",  # the media pool, behind it
    )
    for program in programs:
        assert any(program in command for command in commands), (program, commands)
    assert make_run_output.stopped
    assert make_run_output.survivors == {}


def test_banner_lists_the_network_addresses_for_a_server_on_every_interface(monkeypatch):
    monkeypatch.setattr(run_banner, "lan_addresses", lambda: ["10.0.4.7", "192.168.1.20"])

    text = run_banner.banner(host="0.0.0.0", port=8000, logins=["  associate  PIN: 2580"], notes=[])

    assert "http://10.0.4.7:8000/" in text and "http://192.168.1.20:8000/" in text
    assert "0.0.0.0" not in text
    assert text.index("http://192.168.1.20:8000/") < text.index("PIN: 2580")


def test_banner_says_a_loopback_server_is_for_this_machine_only():
    text = run_banner.banner(host="127.0.0.1", port=8000, logins=[], notes=[])

    assert "http://127.0.0.1:8000/ (this machine only" in text
    assert "On a tablet" not in text


def test_lan_addresses_leave_out_loopback():
    addresses = run_banner.lan_addresses()

    assert all(not address.startswith("127.") for address in addresses)


# Run in make run's database: a demo-store claim with its photos and signature, queued for
# the workers (no counter attempt), then waited for; prints its status, who sent it, and
# the PIDs of the workers whose heartbeat is recent.
QUEUE_A_CLAIM_AND_WAIT = """
import sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from kiosk.delivery.heartbeat import workers_alive
from kiosk.delivery.queue import claim_queue
from kiosk.models import Claim, ClaimAttachment, Store, WorkerHeartbeat
from kiosk.services.attachments import attachment_store
from kiosk.services.submission import claim_build_payload
from tests.factories import ClaimFactory
from tests.images import image_bytes, signature_png

store = Store.objects.get(source_store_id="store_demo_001")
claim = ClaimFactory(store=store, created_by=get_user_model().objects.get(username="associate"))
for kind, data in ((ClaimAttachment.Kind.ITEM, image_bytes("JPEG")),
                   (ClaimAttachment.Kind.RECEIPT, image_bytes("JPEG", color="white")),
                   (ClaimAttachment.Kind.SIGNATURE, signature_png())):
    attachment_store(claim=claim, kind=kind, data=data)
payload = claim_build_payload(claim=claim, media_base_url=sys.argv[1])
assert claim_queue(claim=claim, payload=payload, claimable=Claim.objects.editable())
give_up_at = time.monotonic() + 90
while claim.status in Claim.IN_FLIGHT_STATUSES and time.monotonic() < give_up_at:
    time.sleep(0.5)
    claim.refresh_from_db()
print(claim.status)
print(",".join(claim.attempts.values_list("sent_from", flat=True)))
print(",".join(str(pid) for pid in WorkerHeartbeat.objects.values_list("pid", flat=True)))
"""


def worker_pids(session: int) -> set[int]:
    return {
        pid
        for pid, command in session_processes(session).items()
        if command.endswith("manage.py delivery_worker")
    }


def test_make_run_restarts_a_killed_worker_and_it_files_a_queued_claim(tmp_path):
    run = make_run_start(tmp_path)
    try:
        assert run.banner_shown.wait(timeout=300), "".join(run.lines)
        [killed] = worker_pids(run.process.pid)

        os.kill(killed, signal.SIGKILL)  # as `kill -9` or the OOM killer would

        wait_for(
            lambda: len(worker_pids(run.process.pid) - {killed}) == 1,
            timeout=60,
            what="supervisord to start the worker again",
        )
        [restarted] = worker_pids(run.process.pid)
        queued = subprocess.run(
            [sys.executable, "-c", QUEUE_A_CLAIM_AND_WAIT, f"http://127.0.0.1:{run.port}"],
            cwd=ROOT,
            env=run.env | {"DJANGO_SETTINGS_MODULE": "claims_portal.settings", "DEBUG": "true"},
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        ctrl_c(run.process)
        run.reader.join(timeout=10)

    output = "".join(run.lines)
    assert queued.returncode == 0, queued.stdout + queued.stderr + output
    status, senders, beating = queued.stdout.splitlines()[-3:]
    assert status == "filed", queued.stdout + queued.stderr + output
    assert senders.split(",") and set(senders.split(",")) == {"worker"}
    assert str(restarted) in beating.split(","), (restarted, beating)
    assert "exited: worker_0 (terminated by SIGKILL; not expected)" in output
