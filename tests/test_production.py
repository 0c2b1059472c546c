"""The production environment of docs/operations.md: deploy checks clean, and the headers under
gunicorn."""

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]


def readme_production_environment(tmp_path) -> dict[str, str]:
    """The variables of docs/operations.md's "Pointing the portal at production" block, runnable."""
    readme = (ROOT / "docs" / "operations.md").read_text()
    block = readme.split("## Pointing the portal at production", 1)[1].split("```sh", 1)[1]
    block = block.split("```", 1)[0]
    variables = {}
    for line in block.splitlines():
        line = line.split("  #", 1)[0].strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            variables[name] = value
    assert {"SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER"} <= set(
        variables
    )
    # Placeholders made concrete; a throwaway SQLite database instead of the server.
    variables |= {
        "SECRET_KEY": "x" * 32 + "production-check-" + "y" * 32,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "ORDERPROTECTION_API_TOKEN": "production-token-placeholder",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    return clean | variables | {"ENV_FILE": "/dev/null", "DJANGO_SETTINGS_MODULE": ""}


def manage(environment: dict, *args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in environment.items() if v}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_under_the_readmes_production_environment(tmp_path):
    result = manage(readme_production_environment(tmp_path), "check", "--deploy")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced).", (
        result.stdout + result.stderr
    )
    assert "WARNING" not in result.stderr


@pytest.fixture
def production_gunicorn(tmp_path):
    environment = readme_production_environment(tmp_path)
    assert manage(environment, "migrate", "--noinput", "-v0").returncode == 0
    assert manage(environment, "collectstatic", "--noinput", "-v0").returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "claims_portal.wsgi", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={k: v for k, v in environment.items() if v},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                # Not following the redirect to https://claims.example.com, which does not resolve.
                requests.get(
                    url + "/healthz",
                    timeout=1,
                    headers={"Host": "claims.example.com"},
                    allow_redirects=False,
                )
                break
            except (requests.ConnectionError, requests.Timeout):  # a worker still booting
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_gunicorn_sends_the_security_headers_behind_the_tls_proxy(production_gunicorn):
    behind_proxy = {"Host": "claims.example.com", "X-Forwarded-Proto": "https"}

    page = requests.get(production_gunicorn + "/accounts/login/", headers=behind_proxy, timeout=10)
    plain = requests.get(
        production_gunicorn + "/accounts/login/",
        headers={"Host": "claims.example.com"},
        allow_redirects=False,
        timeout=10,
    )

    assert page.status_code == 200
    headers = page.headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = headers["Permissions-Policy"]
    assert "camera=(self)" in permissions and "geolocation=()" in permissions
    assert re.findall(r"(\w[\w-]*)=\(self\)", permissions) == ["camera", "fullscreen"]
    assert "Secure" in headers["Set-Cookie"]
    assert plain.status_code == 301
    assert plain.headers["Location"] == "https://claims.example.com/accounts/login/"


def test_gunicorn_serves_the_barcode_decoders_wasm_from_the_manifest(production_gunicorn):
    """collectstatic names the .wasm by its hash, and WhiteNoise serves it as
    application/wasm (WebAssembly.instantiateStreaming refuses any other type)."""
    behind_proxy = {"Host": "claims.example.com", "X-Forwarded-Proto": "https"}
    worker = requests.get(
        production_gunicorn + "/scanner-worker.js", headers=behind_proxy, timeout=10
    )
    config = json.loads(re.match(r"self\.KIOSK_SCANNER = (.*);\n", worker.text).group(1))
    assert re.fullmatch(
        r"/static/vendor/zxing-wasm/zxing_reader\.[0-9a-f]{12}\.wasm", config["wasmUrl"]
    )
    assert "'wasm-unsafe-eval'" in worker.headers["Content-Security-Policy"]

    wasm = requests.get(production_gunicorn + config["wasmUrl"], headers=behind_proxy, timeout=10)

    assert wasm.status_code == 200
    assert wasm.headers["Content-Type"] == "application/wasm"
    assert wasm.content[:4] == b"\0asm"
    for script in re.findall(r'"(/static/[^"]+\.js)"', worker.text):
        assert requests.get(production_gunicorn + script, headers=behind_proxy, timeout=10).ok
