"""HTTP transport for the sandbox: reads requests, writes the replies the sandbox decides."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.server import SandboxServer

logger = logging.getLogger("sandbox")

SANDBOX_HEADER = "X-OrderProtection-Sandbox"
MAX_BODY_BYTES = 10 * 1024 * 1024
# Raised when the client went away (e.g. it timed out while the sandbox was slow).
CLIENT_GONE_ERRORS: tuple[type[OSError], ...] = (
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
)


@dataclass
class Reply:
    """What to answer; ``status=None`` closes the connection without answering."""

    status: int | None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


def json_reply(status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
    """A JSON reply."""
    return Reply(status, json.dumps(data).encode(), headers or {})


def error_reply(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    """A JSON reply with the sandbox's plain error shape."""
    return json_reply(status, {"status": "error", "message": message}, headers)


class SandboxHTTPServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` whose handlers reach the ``SandboxServer`` that owns it."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], *, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        super().__init__(address, SandboxRequestHandler)


class SandboxRequestHandler(BaseHTTPRequestHandler):
    """Reads one request, asks the sandbox what to answer, and answers it."""

    server: SandboxHTTPServer
    # Keep-alive, like the real API, so clients using sessions behave as in production.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle's algorithm
    # and the client's delayed ACK add ~40 ms to every answer on a kept-alive connection.
    disable_nagle_algorithm = True
    server_version = "OrderProtectionSandbox/1.0"
    # An idle keep-alive connection must not hold a thread forever.
    timeout = 60

    def handle(self) -> None:
        """Serve the connection; a client that went away just ends it, without a traceback."""
        try:
            super().handle()
        except CLIENT_GONE_ERRORS as exc:
            self.close_connection = True
            logger.debug("client %s went away: %s", self.client_address[0], exc)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._write(error_reply(411, "chunked request bodies are not supported"), close=True)
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._write(error_reply(400, "invalid Content-Length"), close=True)
            return
        if length > MAX_BODY_BYTES:
            self._write(error_reply(413, "request body too large"), close=True)
            return
        raw_body = self.rfile.read(length) if length > 0 else b""
        headers = {name: value for name, value in self.headers.items()}
        try:
            reply = self.server.sandbox.handle(self.command, self.path, headers, raw_body)
        except Exception:
            # A bug in the sandbox must not look like a dropped connection to the client.
            logger.exception("sandbox failed on %s %s", self.command, self.path)
            reply = error_reply(500, "sandbox internal error")
        if reply.status is None:
            self.close_connection = True
            return
        self._write(reply)

    def _write(self, reply: Reply, *, close: bool = False) -> None:
        assert reply.status is not None
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def send_response(self, code: int, message: str | None = None) -> None:
        """Every answer, including the base class's own errors, is marked as the sandbox's."""
        super().send_response(code, message)
        self.send_header(SANDBOX_HEADER, "true")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors raised by the HTTP machinery itself (bad request line, 501…) as JSON too."""
        text = message or self.responses.get(code, ("error",))[0]
        self._write(error_reply(code, text), close=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the sandbox logs claim requests itself, without headers."""
