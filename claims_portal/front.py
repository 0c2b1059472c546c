"""The buffering front: nginx before the portal's two gunicorn pools.

Renders claims_portal/nginx.conf.template into a run folder and replaces this process with
nginx in the foreground (so a supervisor's signals reach nginx itself: TERM stops it at
once, QUIT when its requests are done). nginx's pid, temporary files and logs stay in the
run folder, so it runs as a normal user as well as root; as root, its workers run as the
run folder's owner, never with more rights than the gunicorn processes beside them.

    python -m claims_portal.front --listen 0.0.0.0:8000 --app 127.0.0.1:8001 \\
        --media 127.0.0.1:8002 --run-dir log/front

Sizes come from Django's settings (the same environment as the portal's): the largest
request body is REQUEST_MAX_BYTES, the same limit the portal applies (kiosk/body_limits.py);
the webhook's is WEBHOOK_MAX_BYTES. docs/operations.md ("Production front") says why
each setting is what it is. Standard library only, and Django's settings.
"""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
FALLBACK_MIME_TYPES = "/etc/nginx/mime.types"


class FrontError(Exception):
    """The front cannot be started as asked; the message says why."""


@dataclass(frozen=True)
class FrontConfig:
    listen: str
    app: str
    media: str
    static_root: Path
    run_dir: Path
    static_url: str
    media_url: str
    max_body_bytes: int
    webhook_max_bytes: int
    access_log: str
    error_log: str
    mime_types: str
    user: str | None


def find_nginx() -> str:
    found = shutil.which("nginx")
    if found:
        return found
    for candidate in NGINX_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    raise FrontError(
        "nginx is not installed: `make nginx` installs Debian's (or 'sudo apt-get install nginx')."
    )


def mime_types_path(nginx: str) -> str:
    """The mime.types beside the nginx.conf this nginx was built to read."""
    version = subprocess.run([nginx, "-V"], capture_output=True, text=True, check=False)
    match = re.search(r"--conf-path=(\S+)", version.stderr + version.stdout)
    if match:
        candidate = Path(match.group(1)).with_name("mime.types")
        if candidate.is_file():
            return str(candidate)
    return FALLBACK_MIME_TYPES


def url_path(url: str) -> str:
    """The path of a STATIC_URL or MEDIA_URL ("/static/", or that of an absolute URL)."""
    path = urlsplit(url).path or "/"
    if not path.startswith("/"):
        path = "/" + path
    return path if path.endswith("/") else path + "/"


def address(value: str) -> str:
    """HOST:PORT (or [IPv6]:PORT) as nginx's listen and server directives take it."""
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{value!r} is not HOST:PORT")
    return value


def worker_user(run_dir: Path) -> str | None:
    """As root, nginx's workers run as the run folder's owner; otherwise as ourselves."""
    if os.geteuid() != 0:
        return None
    owner = pwd.getpwuid(run_dir.stat().st_uid)
    return f"{owner.pw_name} {grp.getgrgid(owner.pw_gid).gr_name}"


def render(config: FrontConfig, template: str | None = None) -> str:
    values = {
        "USER": f"user {config.user};" if config.user else "# Not root: workers run as we do.",
        "RUN_DIR": str(config.run_dir),
        "ERROR_LOG": config.error_log,
        "ACCESS_LOG": config.access_log,
        "MIME_TYPES": config.mime_types,
        "APP": config.app,
        "MEDIA": config.media,
        "LISTEN": config.listen,
        "MAX_BODY": str(config.max_body_bytes),
        "WEBHOOK_MAX_BODY": str(config.webhook_max_bytes),
        "STATIC_URL": config.static_url,
        "STATIC_ROOT": str(config.static_root).rstrip("/"),
        "MEDIA_URL": config.media_url,
    }
    text = TEMPLATE.read_text() if template is None else template

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise FrontError(
                f"nginx.conf.template names {{{{{name}}}}}, which front.py does not fill"
            )
        return values[name]

    return re.sub(r"\{\{([A-Z_]+)\}\}", fill, text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m claims_portal.front",
        description="Start nginx as the portal's buffering front (docs/operations.md).",
    )
    parser.add_argument("--listen", type=address, required=True, help="HOST:PORT to serve on")
    parser.add_argument(
        "--app", type=address, required=True, help="HOST:PORT of the portal's gunicorn"
    )
    parser.add_argument(
        "--media",
        type=address,
        required=True,
        help="HOST:PORT of the gunicorn pool for the files OrderProtection fetches",
    )
    parser.add_argument("--static-root", type=Path, help="collectstatic's folder (STATIC_ROOT)")
    parser.add_argument(
        "--run-dir", type=Path, required=True, help="folder for nginx's config, pid, temp, logs"
    )
    parser.add_argument(
        "--access-log", help="access log file, '-' for stdout, 'off' for none (RUN_DIR/access.log)"
    )
    parser.add_argument(
        "--print", action="store_true", help="print the rendered config and exit, nginx unstarted"
    )
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace, *, mime_types: str) -> FrontConfig:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claims_portal.settings")
    from django.conf import settings

    run_dir = args.run_dir.resolve()
    static_root = (args.static_root or Path(settings.STATIC_ROOT)).resolve()
    access_log = args.access_log or str(run_dir / "access.log")
    if access_log == "-":
        access_log = "/dev/stdout"
    return FrontConfig(
        listen=args.listen,
        app=args.app,
        media=args.media,
        static_root=static_root,
        run_dir=run_dir,
        static_url=url_path(settings.STATIC_URL),
        media_url=url_path(settings.MEDIA_URL),
        max_body_bytes=settings.REQUEST_MAX_BYTES,
        webhook_max_bytes=settings.WEBHOOK_MAX_BYTES,
        access_log=access_log,
        error_log=str(run_dir / "error.log"),
        mime_types=mime_types,
        user=worker_user(run_dir) if run_dir.exists() else None,
    )


def warn_about_proxy_settings() -> None:
    from django.conf import settings

    if settings.TRUSTED_PROXY_COUNT < 1:
        print(
            "claims_portal.front: TRUSTED_PROXY_COUNT is 0, so the portal will see every "
            "client as this front's own address (set TRUSTED_PROXY_COUNT=1 for gunicorn).",
            file=sys.stderr,
        )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        if args.print:
            print(render(build_config(args, mime_types=FALLBACK_MIME_TYPES)), end="")
            return
        nginx = find_nginx()
        args.run_dir.mkdir(parents=True, exist_ok=True)
        config = build_config(args, mime_types=mime_types_path(nginx))
        if not config.static_root.is_dir():
            raise FrontError(f"{config.static_root} is no folder: run `manage.py collectstatic`.")
    except FrontError as error:
        sys.exit(f"claims_portal.front: {error}")
    warn_about_proxy_settings()
    conf = config.run_dir / "nginx.conf"
    conf.write_text(render(config))
    # -e: nginx's own messages before it has read the config go there too, not to /var/log.
    os.execv(nginx, [nginx, "-p", str(config.run_dir), "-c", str(conf), "-e", config.error_log])


if __name__ == "__main__":
    main()
