"""The secrets `make run` needs, generated once into `.env` (the file the settings read).

    python -m claims_portal.env_file secrets   # add each missing secret, print its name
    python -m claims_portal.env_file get NAME  # the value the settings see (environment first)

`.env` is ENV_FILE when set, else the one beside manage.py, as in settings.py. A secret
already in the file is never changed; one missing from it is appended. `make run` gives the
portal and the sandbox it starts the same token and webhook secret from here, so neither
accepts a value printed in this repository. The sandbox's secrets have names of their own:
a production portal reads neither.
"""

import argparse
import os
import secrets
import sys
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

# name: bytes of randomness
GENERATED_SECRETS = {
    "SECRET_KEY": 50,
    # The bearer token the sandbox accepts: `make run` sets ORDERPROTECTION_API_TOKEN to it.
    "SANDBOX_TOKEN": 32,
    # What the sandbox sends in x-webhook-secret: ORDERPROTECTION_WEBHOOK_SECRET in `make run`.
    "SANDBOX_WEBHOOK_SECRET": 32,
}


class EmptySecret(Exception):
    pass


class _FileOnly(environ.Env):
    """django-environ's own parser, reading into a dict instead of os.environ."""

    ENVIRON: dict[str, str] = {}


def env_file_path() -> Path:
    return Path(os.environ.get("ENV_FILE", BASE_DIR / ".env"))


def env_file_values(path: Path) -> dict[str, str]:
    """The variables the file sets, parsed as the settings parse it."""
    _FileOnly.ENVIRON = {}
    if path.exists():
        _FileOnly.read_env(path)
    return dict(_FileOnly.ENVIRON)


def env_file_add_secrets(path: Path) -> list[str]:
    """Append each secret the file lacks; returns their names. Never changes a value.

    Raises EmptySecret when the file sets one to nothing (copied from .env.example, say):
    its owner decides, not this function.
    """
    values = env_file_values(path)
    empty = [name for name in GENERATED_SECRETS if values.get(name) == ""]
    if empty:
        raise EmptySecret(
            f"{path} sets {', '.join(empty)} to nothing: give each a value, or delete the "
            "line to have one generated."
        )
    missing = [name for name in GENERATED_SECRETS if name not in values]
    if not missing:
        return []
    lines = [f"{name}={secrets.token_urlsafe(GENERATED_SECRETS[name])}" for name in missing]
    text = path.read_text() if path.exists() else ""
    separator = "\n" if text and not text.endswith("\n") else ""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a") as env_file:
        env_file.write(separator + "\n".join(lines) + "\n")
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m claims_portal.env_file", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("secrets", help="generate the missing secrets into the .env file")
    get = commands.add_parser("get", help="print a variable as the settings see it")
    get.add_argument("name")
    args = parser.parse_args(argv)
    path = env_file_path()
    if args.command == "get":
        print(os.environ.get(args.name, env_file_values(path).get(args.name, "")))
        return 0
    try:
        added = env_file_add_secrets(path)
    except EmptySecret as error:
        print(error, file=sys.stderr)
        return 1
    for name in added:
        print(f"Generated {name} in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
