"""Run the sandbox as its own process: ``python -m sandbox --port 8100 --token sandbox-token``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType

from sandbox.faults import FAULT_MODES, FaultPlan
from sandbox.oauth import DEFAULT_OAUTH_CLIENTS
from sandbox.server import SandboxServer


def oauth_client(value: str) -> tuple[str, str]:
    """Parse ``--oauth-client ID:SECRET`` (the secret may itself contain colons)."""
    client_id, colon, secret = value.partition(":")
    if not colon or not client_id or not secret:
        raise argparse.ArgumentTypeError(f"expected ID:SECRET, got {value!r}")
    return client_id, secret


def non_negative_int(value: str) -> int:
    """Parse a whole number >= 0."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {number}")
    return number


def build_parser() -> argparse.ArgumentParser:
    """Command-line options; host, port and token default to SANDBOX_HOST/PORT/TOKEN."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Local strict fake of OrderProtection's POST /v1/claims/offline, "
        "GET /v1/claims, GET /v1/orders/{sourceOrderId}/claims and POST /v1/oauth/token, "
        "with claim webhooks.",
    )
    parser.add_argument("--host", default=os.environ.get("SANDBOX_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", "8100")))
    parser.add_argument(
        "--token",
        action="append",
        dest="tokens",
        metavar="TOKEN",
        help="bearer token to accept (repeatable; default $SANDBOX_TOKEN or sandbox-token)",
    )
    parser.add_argument("--latency-ms", type=int, default=0, help="delay every claim request")
    parser.add_argument("--fault", choices=FAULT_MODES, default="none", help="fault mode")
    parser.add_argument("--retry-after", type=int, default=None, help="Retry-After for 429s")
    parser.add_argument(
        "--fault-mix",
        default="",
        help="comma-separated fault modes drawn at random per faulted request, instead of "
        "--fault; append @after_filing to a mode to apply it after filing",
    )
    parser.add_argument(
        "--probability", type=float, default=1.0, help="share of claim requests faulted"
    )
    parser.add_argument(
        "--after-filing",
        action="store_true",
        help="apply --fault after the claim is filed (the claim exists, its answer is lost)",
    )
    parser.add_argument(
        "--no-fetch-images",
        dest="fetch_images",
        action="store_false",
        help="do not fetch and check the claim's image URLs",
    )
    parser.add_argument("--success-status", type=int, choices=(200, 201), default=201)
    parser.add_argument(
        "--honour-idempotency",
        action="store_true",
        help="replay the stored answer for a repeated Idempotency-Key (the real API "
        "documents no such key, so by default it is ignored)",
    )
    parser.add_argument(
        "--webhook-url", default="", help="POST claim events (created, approved, denied) here"
    )
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("SANDBOX_WEBHOOK_SECRET", ""),
        help="sent as x-webhook-secret (default $SANDBOX_WEBHOOK_SECRET)",
    )
    parser.add_argument(
        "--webhook-style",
        choices=("app", "merchant"),
        default="app",
        help="app: claim/approved with camelCase; merchant: claim.approved envelopes",
    )
    default_clients = ", ".join(f"{cid}:{secret}" for cid, secret in DEFAULT_OAUTH_CLIENTS.items())
    parser.add_argument(
        "--oauth-client",
        action="append",
        dest="oauth_clients",
        type=oauth_client,
        metavar="ID:SECRET",
        help=f"OAuth client for POST /v1/oauth/token (repeatable; default {default_clients})",
    )
    parser.add_argument(
        "--token-ttl",
        type=non_negative_int,
        default=3600,
        metavar="SECONDS",
        help="lifetime of issued access tokens (default 3600)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; returns the process exit code."""
    args = build_parser().parse_args(argv)
    tokens = args.tokens or [os.environ.get("SANDBOX_TOKEN") or "sandbox-token"]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)

    server = SandboxServer(
        host=args.host,
        port=args.port,
        tokens=tuple(tokens),
        fetch_images=args.fetch_images,
        success_status=args.success_status,
        honour_idempotency=args.honour_idempotency,
        oauth_clients=dict(args.oauth_clients) if args.oauth_clients else None,
        token_ttl=args.token_ttl,
    )
    try:
        plan = FaultPlan(
            latency_ms=args.latency_ms,
            mode=args.fault,
            mix=tuple(entry for entry in args.fault_mix.split(",") if entry),
            probability=args.probability,
            retry_after=args.retry_after,
            after_filing=args.after_filing,
        )
    except ValueError as exc:
        build_parser().error(str(exc))
    server.set_faults(plan)
    if args.webhook_url:
        try:
            server.set_webhook(
                url=args.webhook_url, secret=args.webhook_secret, style=args.webhook_style
            )
        except ValueError as exc:
            build_parser().error(str(exc))
    try:
        server.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1

    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    label = "token" if len(tokens) == 1 else "tokens"
    # A token from the environment is a secret (`make run` generates it into .env): named,
    # not printed. One given on the command line is shown by `ps` anyway.
    shown = ", ".join(tokens) if args.tokens or tokens == ["sandbox-token"] else "$SANDBOX_TOKEN"
    print(f"OrderProtection sandbox listening on {server.url} ({label}: {shown})", flush=True)
    print(f"OAuth clients: {', '.join(server.oauth_clients)} (POST /v1/oauth/token)", flush=True)
    while not stop_requested.wait(timeout=1.0):
        pass
    server.stop()
    print("OrderProtection sandbox stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
