"""A local, strict fake of OrderProtection's ``POST /v1/claims/offline``.

Test and demo equipment: it validates claims harder than the contract requires, fetches
every image the claim points at, and can be told to misbehave (see ``FaultPlan``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import urlsplit

from sandbox.faults import ERROR_MODE_STATUS, FaultPlan, FaultState
from sandbox.handler import Reply, SandboxHTTPServer, error_reply, json_reply
from sandbox.validation import FieldError, claim_validator, image_errors, schema_errors

logger = logging.getLogger("sandbox")

CLAIMS_PATH = "/v1/claims/offline"
CONTROL_PREFIX = "/__sandbox__/"
# A success body cut short: what a proxy failing mid-response might deliver.
MALFORMED_BODY = b'{"status":"ok","payload":'


@dataclass
class ReceivedRequest:
    """One request the sandbox received on the fake API (control endpoints are not recorded).

    ``response_body`` is the decoded JSON answered, the raw text for ``malformed_json``,
    and ``None`` (with ``response_status`` ``None``) when no answer was sent (hang, drop).
    ``fetched_images`` maps each image URL fetched successfully to the sha256 of its bytes;
    ``fault`` is the fault mode applied to this request, ``"none"`` if it was served normally.
    """

    method: str
    path: str
    headers: dict[str, str]
    body_json: Any
    body_text: str
    response_status: int | None
    response_body: Any
    received_at: datetime
    fetched_images: dict[str, str] = field(default_factory=dict)
    fault: str = "none"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as served by ``GET /__sandbox__/received``."""
        data = dataclasses.asdict(self)
        data["received_at"] = self.received_at.isoformat()
        return data


def field_errors_body(errors: list[FieldError]) -> dict[str, Any]:
    """The 400 body for invalid fields; the first error is repeated at the top level."""
    return {
        "status": "error",
        "message": errors[0].message,
        "field": errors[0].field,
        "errors": [error.to_dict() for error in errors],
    }


class SandboxServer:
    """The fake API on a ``ThreadingHTTPServer`` running in a background thread.

    ``tokens`` are the bearer tokens accepted; ``fetch_images`` turns image fetching on
    (each fetch with ``image_fetch_timeout`` seconds); ``success_status`` (201 or 200) is
    answered for accepted claims. ``port=0`` picks a free port. Use ``start()``/``stop()``
    or ``with SandboxServer() as server:``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        tokens: tuple[str, ...] | list[str] = ("sandbox-token",),
        fetch_images: bool = True,
        image_fetch_timeout: float = 5.0,
        success_status: int = 201,
    ) -> None:
        if success_status not in (200, 201):
            raise ValueError("success_status must be 200 or 201")
        if not tokens:
            raise ValueError("at least one bearer token is required")
        self.host = host
        self.port = port
        self.tokens = tuple(tokens)
        self.fetch_images = fetch_images
        self.image_fetch_timeout = image_fetch_timeout
        self.success_status = success_status
        claim_validator()  # fail now, not on the first claim, if the schema file is missing
        self._lock = threading.Lock()
        self._received: list[ReceivedRequest] = []
        self._claims: dict[str, dict[str, Any]] = {}
        self._issued_ids: set[str] = set()
        self._id_random = random.Random()
        self._faults = FaultState()
        self._stopping = threading.Event()
        self._httpd: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        """Start serving in a daemon thread; returns ``self``."""
        if self._httpd is not None:
            raise RuntimeError("sandbox already started")
        self._stopping.clear()
        self._httpd = SandboxHTTPServer((self.host, self.port), sandbox=self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release requests held by ``hang`` or latency. Idempotent."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8100`` (with the real port once started)."""
        return f"http://{self.host}:{self.port}"

    # -- state ---------------------------------------------------------------------------

    @property
    def received(self) -> list[ReceivedRequest]:
        """A copy of the requests received so far, oldest first."""
        with self._lock:
            return list(self._received)

    @property
    def claims(self) -> dict[str, dict[str, Any]]:
        """A copy of the accepted claims: sourceOrderId -> request body."""
        with self._lock:
            return dict(self._claims)

    @property
    def faults(self) -> FaultPlan:
        """The fault plan in force."""
        return self._faults.plan

    def set_faults(self, plan: FaultPlan | None = None, **fields: Any) -> FaultPlan:
        """Install a fault plan, given as a ``FaultPlan`` or as its fields; returns it."""
        if plan is not None and fields:
            raise TypeError("pass either a FaultPlan or its fields, not both")
        plan = plan if plan is not None else FaultPlan(**fields)
        self._faults.set(plan)
        return plan

    def reset(self) -> None:
        """Forget received requests and claims, and clear the fault plan."""
        with self._lock:
            self._received.clear()
            self._claims.clear()
        self._faults.set(FaultPlan())

    # -- requests ------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], raw_body: bytes) -> Reply:
        """Decide the reply to one HTTP request (called from the handler threads)."""
        path = urlsplit(target).path
        if path.startswith(CONTROL_PREFIX):
            return self._handle_control(method, path, raw_body)

        received_at = datetime.now(UTC)
        body_json = _parse_json(raw_body)
        if path != CLAIMS_PATH:
            reply, outcome = error_reply(404, f"no route for {path}"), None
        elif method != "POST":
            reply = error_reply(405, f"{method} is not allowed on {path}", {"Allow": "POST"})
            outcome = None
        else:
            outcome = self._handle_claim(headers, body_json)
            reply = outcome.reply

        self._record(
            ReceivedRequest(
                method=method,
                path=path,
                headers=headers,
                body_json=None if body_json is _NOT_JSON else body_json,
                body_text=raw_body.decode("utf-8", errors="replace"),
                response_status=reply.status,
                response_body=_decoded(reply),
                received_at=received_at,
                fetched_images=outcome.fetched_images if outcome else {},
                fault=outcome.fault if outcome else "none",
            )
        )
        status = reply.status if reply.status is not None else "no response"
        detail = f" {outcome.log_detail}" if outcome and outcome.log_detail else ""
        logger.info("%s %s -> %s%s", method, path, status, detail)
        if outcome:
            self._wait(outcome.hang_seconds)
        return reply

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._received.append(request)

    def _wait(self, seconds: float) -> None:
        """Sleep, but wake up as soon as the server stops."""
        if seconds > 0:
            self._stopping.wait(seconds)

    def _handle_claim(self, headers: dict[str, str], body_json: Any) -> _ClaimOutcome:
        plan = self._faults.plan
        self._wait(plan.latency_ms / 1000)
        mode = self._faults.next_mode()
        if mode != "none":
            return _fault_outcome(mode, plan)
        return self._validate_claim(
            {name.lower(): value for name, value in headers.items()}, body_json
        )

    def _validate_claim(self, headers: dict[str, str], body_json: Any) -> _ClaimOutcome:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in self.tokens:
            reply = error_reply(
                401, "Invalid or missing bearer token", {"WWW-Authenticate": "Bearer"}
            )
            return _ClaimOutcome(reply, log_detail="unauthorized")
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            reply = error_reply(400, "Content-Type must be application/json")
            return _ClaimOutcome(reply, log_detail="not json")
        if body_json is _NOT_JSON:
            return _ClaimOutcome(error_reply(400, "request body is not valid JSON"), "not json")
        if not isinstance(body_json, dict):
            return _ClaimOutcome(error_reply(400, "request body must be a JSON object"), "not json")

        errors = schema_errors(body_json)
        fetched: dict[str, str] = {}
        if not errors and self.fetch_images:
            errors = image_errors(body_json, timeout=self.image_fetch_timeout, fetched=fetched)
        if errors:
            reply = json_reply(400, field_errors_body(errors))
            return _ClaimOutcome(reply, f"field={errors[0].field}", fetched_images=fetched)

        source_order_id = self._file_claim(body_json)
        # Like the documented example, the echo leaves out claimFiledFrom and options.
        echo = {k: v for k, v in body_json.items() if k not in ("claimFiledFrom", "options")}
        payload = {"sourceOrderId": source_order_id, **echo}
        reply = json_reply(self.success_status, {"status": "ok", "payload": payload})
        return _ClaimOutcome(reply, source_order_id, fetched_images=fetched)

    def _file_claim(self, body: dict[str, Any]) -> str:
        with self._lock:
            while True:
                number = self._id_random.randrange(100_000_000)
                source_order_id = f"SB-{number // 10_000:04d}-{number % 10_000:04d}"
                if source_order_id not in self._issued_ids:
                    break
            self._issued_ids.add(source_order_id)
            self._claims[source_order_id] = body
        return source_order_id

    # -- control endpoints ---------------------------------------------------------------

    def _handle_control(self, method: str, path: str, raw_body: bytes) -> Reply:
        routes = {
            "/__sandbox__/health": ("GET",),
            "/__sandbox__/received": ("GET", "DELETE"),
            "/__sandbox__/claims": ("GET",),
            "/__sandbox__/faults": ("GET", "PUT", "DELETE"),
        }
        if path not in routes:
            return error_reply(404, f"no route for {path}")
        if method not in routes[path]:
            allowed = ", ".join(routes[path])
            return error_reply(405, f"{method} is not allowed on {path}", {"Allow": allowed})

        if path == "/__sandbox__/health":
            return json_reply(200, {"status": "ok", "sandbox": True})
        if path == "/__sandbox__/received":
            if method == "DELETE":
                self.reset()
                return json_reply(200, {"status": "ok"})
            return json_reply(200, [request.to_dict() for request in self.received])
        if path == "/__sandbox__/claims":
            return json_reply(200, self.claims)
        if method == "PUT":
            body = _parse_json(raw_body)
            try:
                plan = FaultPlan.from_dict(body)
            except (TypeError, ValueError) as exc:
                return error_reply(400, f"invalid fault plan: {exc}")
            self.set_faults(plan)
        elif method == "DELETE":
            self.set_faults(FaultPlan())
        return json_reply(200, self.faults.to_dict())


@dataclass
class _ClaimOutcome:
    """The reply decided for one claim request, with what is recorded beside it."""

    reply: Reply
    log_detail: str = ""
    fetched_images: dict[str, str] = field(default_factory=dict)
    fault: str = "none"
    hang_seconds: float = 0.0


def _fault_outcome(mode: str, plan: FaultPlan) -> _ClaimOutcome:
    detail = f"fault={mode}"
    if mode == "hang":
        return _ClaimOutcome(Reply(None), detail, fault=mode, hang_seconds=plan.hang_seconds)
    if mode == "drop":
        return _ClaimOutcome(Reply(None), detail, fault=mode)
    if mode == "malformed_json":
        return _ClaimOutcome(Reply(200, MALFORMED_BODY), detail, fault=mode)
    status = ERROR_MODE_STATUS[mode]
    if mode == "rate_limit_429":
        retry = {"Retry-After": str(plan.retry_after)} if plan.retry_after is not None else {}
        return _ClaimOutcome(error_reply(429, "Too many requests", retry), detail, fault=mode)
    reply = error_reply(status, f"Sandbox fault: simulated HTTP {status}")
    return _ClaimOutcome(reply, detail, fault=mode)


# Marks a body that was present but did not parse, as opposed to no body (None).
_NOT_JSON: Any = object()


def _parse_json(raw_body: bytes) -> Any:
    if not raw_body:
        return None
    try:
        return json.loads(raw_body.decode("utf-8"), parse_constant=_reject_constant)
    except ValueError:
        return _NOT_JSON


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _decoded(reply: Reply) -> Any:
    if reply.status is None:
        return None
    try:
        return json.loads(reply.body)
    except ValueError:
        return reply.body.decode("utf-8", errors="replace")
