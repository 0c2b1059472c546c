"""A local, strict fake of OrderProtection's ``POST /v1/claims/offline``.

Test and demo equipment: it validates claims harder than the contract requires, fetches
every image the claim points at, and can be told to misbehave (see ``FaultPlan``).
Like the real API as documented, it ignores ``Idempotency-Key`` unless told to honour it
(see ``sandbox.idempotency``). It lists what it filed on ``GET /v1/claims`` and
``GET /v1/orders/{sourceOrderId}/claims`` (see ``sandbox.claims_book``), sends claim
webhooks (see ``sandbox.webhooks``), and issues OAuth client-credentials tokens on
``POST /v1/oauth/token`` (see ``sandbox.oauth``). Control calls live under
``/__sandbox__/`` (see ``sandbox.control``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import unquote, urlsplit

from sandbox.claims_book import ClaimBook, listing_reply
from sandbox.concurrency import InFlight
from sandbox.contract import FieldError, contract_errors
from sandbox.control import handle_control
from sandbox.faults import ERROR_MODE_STATUS, FaultPlan, FaultState
from sandbox.handler import Reply, SandboxHTTPServer, error_reply, json_reply
from sandbox.idempotency import (
    REPLAYED_HEADER,
    IdempotencyStore,
    StoredResult,
    key_problem,
    request_fingerprint,
)
from sandbox.oauth import (
    CLAIM_SCOPES,
    DEFAULT_OAUTH_CLIENTS,
    TOKEN_PATH,
    IssuedToken,
    TokenIssuer,
    mask_authorization,
    mask_secret_text,
    mask_secrets,
    mask_token_answer,
)
from sandbox.validation import image_errors
from sandbox.webhooks import WebhookSender, WebhookTarget

logger = logging.getLogger("sandbox")

CLAIMS_PATH = "/v1/claims/offline"
LIST_PATH = "/v1/claims"
ORDER_CLAIMS_PATH = re.compile(r"/v1/orders/([^/]+)/claims")
CONTROL_PREFIX = "/__sandbox__/"
# A success body cut short: what a proxy failing mid-response might deliver.
MALFORMED_BODY = b'{"status":"ok","payload":'
KEY_REUSED_MESSAGE = "Idempotency-Key reused with a different request body"
HEALTH = {"status": "ok", "sandbox": True}


@dataclass
class ReceivedRequest:
    """One request the sandbox received on the fake API (control endpoints are not recorded).

    ``response_body`` is the decoded JSON answered, the raw text for ``malformed_json``,
    and ``None`` (with ``response_status`` ``None``) when no answer was sent (hang, drop).
    ``fetched_images`` maps each image URL fetched successfully to the sha256 of its bytes;
    ``fault`` is the fault mode applied to this request, ``"none"`` if it was served normally.
    ``idempotency_key`` is the claim's ``Idempotency-Key`` header, stripped (recorded even
    when the sandbox does not honour it); ``replayed`` whether a stored answer was replayed.
    Token requests are recorded with ``client_secret`` masked and the token shortened.
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
    idempotency_key: str | None = None
    replayed: bool = False

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

    ``tokens`` are the static bearer tokens accepted; ``fetch_images`` turns image fetching
    on (each fetch with ``image_fetch_timeout`` seconds); ``success_status`` (201 or 200) is
    answered for accepted claims. ``honour_idempotency=True`` replays the stored answer for a
    repeated ``Idempotency-Key``; by default the key is ignored and every valid claim is
    filed, as nothing in the docs promises more. ``listing_params`` names the page-size and
    cursor query parameters of ``GET /v1/claims`` (not documented). ``oauth_clients``
    (client_id -> client_secret; default ``DEFAULT_OAUTH_CLIENTS``) may get tokens on
    ``POST /v1/oauth/token``, valid for ``token_ttl`` seconds. ``port=0`` picks a free
    port. Use ``start()``/``stop()`` or ``with SandboxServer() as server:``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        tokens: tuple[str, ...] | list[str] = ("sandbox-token",),
        fetch_images: bool = True,
        image_fetch_timeout: float = 5.0,
        success_status: int = 201,
        honour_idempotency: bool = False,
        listing_params: tuple[str, str] = ("size", "cursor"),
        oauth_clients: Mapping[str, str] | None = None,
        token_ttl: int = 3600,
    ) -> None:
        if success_status not in (200, 201):
            raise ValueError("success_status must be 200 or 201")
        if not tokens:
            raise ValueError("at least one bearer token is required")
        clients = dict(DEFAULT_OAUTH_CLIENTS if oauth_clients is None else oauth_clients)
        _check_oauth_options(clients, token_ttl)
        self.host = host
        self.port = port
        self.tokens = tuple(tokens)
        self.fetch_images = fetch_images
        self.image_fetch_timeout = image_fetch_timeout
        self.success_status = success_status
        self.honour_idempotency = honour_idempotency
        self._honour_idempotency_default = honour_idempotency
        self.listing_params = tuple(listing_params)
        self._lock = threading.Lock()
        self._received: list[ReceivedRequest] = []
        self._book = ClaimBook()
        self._webhooks = WebhookSender()
        # Bumped by reset(): a request that waited through a reset belongs to a finished test.
        self._generation = 0
        self._faults = FaultState()
        self._lookup_faults = FaultState()
        self._claims_in_flight = InFlight()
        self._idempotency = IdempotencyStore()
        self._oauth = TokenIssuer(clients, token_ttl)
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
        """Stop serving and release requests held by ``hang``, latency or a busy key. Idempotent."""
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
        return {r.source_order_id: r.body for r in self._book.records()}

    @property
    def claim_keys(self) -> dict[str, str | None]:
        """A copy of sourceOrderId -> the Idempotency-Key the claim was filed under (or None)."""
        return {r.source_order_id: r.key for r in self._book.records()}

    @property
    def oauth_clients(self) -> dict[str, str]:
        """A copy of the OAuth clients accepted: client_id -> client_secret."""
        return dict(self._oauth.clients)

    @property
    def token_ttl(self) -> int:
        """Lifetime of issued access tokens, in seconds (answered as ``expires_in``)."""
        return self._oauth.ttl

    @property
    def issued_tokens(self) -> list[dict[str, Any]]:
        """The access tokens issued so far, oldest first, without the tokens themselves.

        Each is ``{"token_last4", "client_id", "store_id", "scopes", "expired"}``.
        """
        return self._oauth.issued()

    @property
    def claims_in_flight(self) -> dict[str, int]:
        """Claim requests being answered now, and the most at once since the last reset:
        ``{"in_flight": …, "peak": …}``."""
        return self._claims_in_flight.snapshot()

    def expire_tokens(self) -> None:
        """Mark every access token issued so far as expired (to exercise refresh-on-401)."""
        self._oauth.expire_all()

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

    @property
    def lookup_faults(self) -> FaultPlan:
        """The fault plan in force for ``GET /v1/claims`` and ``GET /v1/orders/…/claims``."""
        return self._lookup_faults.plan

    def set_lookup_faults(self, plan: FaultPlan | None = None, **fields: Any) -> FaultPlan:
        """Like ``set_faults``, for the read endpoints (``after_filing`` does not apply)."""
        plan = plan if plan is not None else FaultPlan(**fields)
        if plan.after_filing or any("@" in entry for entry in plan.mix):
            raise ValueError("after_filing does not apply to lookups")
        self._lookup_faults.set(plan)
        return plan

    def set_claim_state(
        self,
        source_order_id: str,
        state: str,
        *,
        resolution: str | None = None,
        reason: str | None = None,
        notify: bool = True,
    ) -> dict[str, Any]:
        """Decide a filed claim, as OrderProtection's staff would; send its webhook now.

        Returns ``{"claim": node, "webhooks": [deliveries]}``. Raises KeyError for an
        unknown claim and ValueError for a state, resolution or reason not documented.
        """
        record = self._book.set_state(source_order_id, state, resolution=resolution, reason=reason)
        event = {"APPROVED": "approved", "DENIED": "denied"}.get(state)
        sent = self._webhooks.send(event, record) if event and notify else []
        return {"claim": record.order_claim(), "webhooks": sent}

    def set_webhook(self, *, url: str, secret: str, style: str = "app", repeat: int = 1) -> None:
        """Send claim events to ``url`` with ``secret`` in ``x-webhook-secret``."""
        self._webhooks.configure(WebhookTarget(url=url, secret=secret, style=style, repeat=repeat))

    def clear_webhook(self) -> None:
        self._webhooks.configure(None)

    @property
    def webhook_deliveries(self) -> list[dict[str, Any]]:
        """Every webhook delivery attempt so far: url, topic, event_id, status, error."""
        return self._webhooks.deliveries()

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """Wait until the webhooks sent in the background (claim created) have gone out."""
        return self._webhooks.wait_idle(timeout)

    def reset(self) -> None:
        """Forget requests, claims and stored idempotent answers; clear faults and webhooks.

        Honouring idempotency keys goes back to the constructor's choice. Issued access
        tokens stay valid (use ``expire_tokens()`` to end them). Requests still waiting
        out their latency are dropped unrecorded when they wake up.
        """
        with self._lock:
            self._generation += 1
            self._received.clear()
        self._book.clear()
        self._webhooks.clear()
        self._idempotency.clear()
        self.honour_idempotency = self._honour_idempotency_default
        self._faults.set(FaultPlan())
        self._lookup_faults.set(FaultPlan())
        self._claims_in_flight.reset()

    # -- requests ------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], raw_body: bytes) -> Reply:
        """Decide the reply to one HTTP request (called from the handler threads)."""
        parts = urlsplit(target)
        path = parts.path
        if path.startswith(CONTROL_PREFIX):
            return handle_control(self, method, path, raw_body)

        if method == "POST" and path == CLAIMS_PATH:
            with self._claims_in_flight.counting():
                return self._answer(method, path, parts.query, headers, raw_body)
        return self._answer(method, path, parts.query, headers, raw_body)

    def _answer(
        self, method: str, path: str, query: str, headers: dict[str, str], raw_body: bytes
    ) -> Reply:
        received_at = datetime.now(UTC)
        body_json = _parse_json(raw_body)
        outcome = self._route(method, path, query, headers, body_json)
        if not outcome.stale:
            request = _received_request(method, path, headers, raw_body, body_json, outcome)
            request.received_at = received_at
            self._record(request)
        status = outcome.reply.status if outcome.reply.status is not None else "no response"
        detail = f" {outcome.log_detail}" if outcome.log_detail else ""
        logger.info("%s %s -> %s%s", method, path, status, detail)
        self._wait(outcome.hang_seconds)
        return outcome.reply

    def _route(
        self, method: str, path: str, query: str, headers: dict[str, str], body_json: Any
    ) -> _Outcome:
        lowered = {name.lower(): value for name, value in headers.items()}
        if path == LIST_PATH or ORDER_CLAIMS_PATH.fullmatch(path):
            if method != "GET":
                return _Outcome(
                    error_reply(405, f"{method} is not allowed on {path}", {"Allow": "GET"})
                )
            return self._handle_lookup(path, query, lowered)
        if path not in (CLAIMS_PATH, TOKEN_PATH):
            return _Outcome(error_reply(404, f"no route for {path}"))
        if method != "POST":
            reply = error_reply(405, f"{method} is not allowed on {path}", {"Allow": "POST"})
            return _Outcome(reply)
        if path == TOKEN_PATH:
            return self._handle_token(lowered, body_json)
        return self._handle_claim(lowered, body_json)

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._received.append(request)

    def _wait(self, seconds: float) -> None:
        """Sleep, but wake up as soon as the server stops."""
        if seconds > 0:
            self._stopping.wait(seconds)

    def _wait_latency(self) -> _Outcome | None:
        """Wait out the plan's latency; a stale outcome if ``reset()`` happened meanwhile.

        Such a request was sent by a test that is over (its client has usually given up):
        it must not consume the next test's faults, file a claim or be recorded there.
        """
        with self._lock:
            generation = self._generation
        self._wait(self._faults.plan.latency_ms / 1000)
        with self._lock:
            if generation == self._generation:
                return None
        return _Outcome(Reply(None), "discarded: the sandbox was reset meanwhile", stale=True)

    # -- POST /v1/oauth/token ------------------------------------------------------------

    def _handle_token(self, headers: dict[str, str], body_json: Any) -> _Outcome:
        """Latency applies to token requests; fault modes do not."""
        stale = self._wait_latency()
        if stale is not None:
            return stale
        body = body_json if isinstance(body_json, dict) else None
        reply, detail = self._oauth.token_reply(_media_type(headers), body)
        return _Outcome(reply, detail)

    # -- POST /v1/claims/offline ---------------------------------------------------------

    def _handle_claim(self, headers: dict[str, str], body_json: Any) -> _Outcome:
        stale = self._wait_latency()
        if stale is not None:
            return stale
        plan = self._faults.plan
        mode = self._faults.next_mode()
        if mode != "none":
            return _fault_outcome(mode, plan)
        outcome = self._accept_claim(headers, body_json)
        if outcome.source_order_id is None or outcome.replayed:
            return outcome  # nothing filed by this request: no after-filing fault
        mode = self._faults.next_mode(after_filing=True)
        if mode != "none":
            return _fault_after_filing(mode, plan, outcome)
        return outcome

    def _accept_claim(self, headers: dict[str, str], body_json: Any) -> _Outcome:
        """Authenticate, then replay the key's stored answer or validate and file the claim."""
        issued, refused = self._authenticate(headers)
        if refused is not None:
            return refused
        refused = _body_refusal(headers, body_json) or _store_refusal(issued, body_json)
        if refused is not None:
            return refused
        key = _idempotency_key(headers)
        if key is None or not self.honour_idempotency:
            # The key is kept with the claim, for the record, but not acted on.
            return self._validate_and_file(body_json, key=key)
        problem = key_problem(key)
        if problem is not None:
            return _Outcome(error_reply(400, problem), "bad idempotency key")
        return self._replay_or_file(key, body_json)

    def _authenticate(self, headers: dict[str, str]) -> tuple[IssuedToken | None, _Outcome | None]:
        """The OAuth token used (``None`` for a static token), or the refusal to answer."""
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token in self.tokens:
            return None, None
        issued = self._oauth.lookup(token) if scheme.lower() == "bearer" else None
        if issued is None:
            reply = error_reply(
                401, "Invalid or missing bearer token", {"WWW-Authenticate": "Bearer"}
            )
            return None, _Outcome(reply, "unauthorized")
        if issued.expired:
            challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            return issued, _Outcome(error_reply(401, "Access token expired", challenge), "expired")
        if not CLAIM_SCOPES.intersection(issued.scopes):
            scopes = " ".join(sorted(CLAIM_SCOPES))
            challenge = {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scopes}"'}
            return issued, _Outcome(error_reply(403, "Insufficient scope", challenge), "scope")
        return issued, None

    def _replay_or_file(self, key: str, body: dict[str, Any]) -> _Outcome:
        """Under the key's lock: replay its stored answer, or file and store the answer."""
        with self._idempotency.hold(key, self._stopping) as held:
            if not held:
                return _Outcome(Reply(None), "sandbox stopping")
            stored = self._idempotency.get(key)
            if stored is not None:
                return _replayed(stored, body)
            outcome = self._validate_and_file(body, key=key)
            if outcome.source_order_id is not None and outcome.reply.status is not None:
                result = StoredResult(
                    fingerprint=request_fingerprint(body),
                    status=outcome.reply.status,
                    body=outcome.reply.body,
                    source_order_id=outcome.source_order_id,
                )
                self._idempotency.put(key, result)
            return outcome

    def _validate_and_file(self, body: dict[str, Any], *, key: str | None) -> _Outcome:
        errors = contract_errors(body)
        fetched: dict[str, str] = {}
        if not errors and self.fetch_images:
            errors = image_errors(body, timeout=self.image_fetch_timeout, fetched=fetched)
        if errors:
            reply = json_reply(400, field_errors_body(errors))
            return _Outcome(reply, f"field={errors[0].field}", fetched_images=fetched)

        source_order_id = self._file_claim(body, key)
        # Like the documented example, the echo leaves out claimFiledFrom and options.
        echo = {k: v for k, v in body.items() if k not in ("claimFiledFrom", "options")}
        payload = {"sourceOrderId": source_order_id, **echo}
        reply = json_reply(self.success_status, {"status": "ok", "payload": payload})
        return _Outcome(
            reply, source_order_id, fetched_images=fetched, source_order_id=source_order_id
        )

    def _file_claim(self, body: dict[str, Any], key: str | None = None) -> str:
        record = self._book.file(body, key)
        self._webhooks.send_soon("created", record)
        return record.source_order_id

    # -- GET /v1/claims, GET /v1/orders/{sourceOrderId}/claims ------------------------

    def _handle_lookup(self, path: str, query: str, headers: dict[str, str]) -> _Outcome:
        """Latency and the lookup fault plan apply; then the bearer token is checked."""
        stale = self._wait_latency()
        if stale is not None:
            return stale
        mode = self._lookup_faults.next_mode()
        if mode != "none":
            return _fault_outcome(mode, self._lookup_faults.plan)
        issued, refused = self._authenticate(headers)
        if refused is not None:
            return refused
        store_id = issued.store_id if issued is not None else None
        if path == LIST_PATH:
            return _Outcome(listing_reply(self._book, query, self.listing_params, store_id))
        number = unquote(ORDER_CLAIMS_PATH.fullmatch(path).group(1))
        record = self._book.get(number)
        if record is None or (store_id is not None and record.store_id != store_id):
            return _Outcome(error_reply(404, "Order not found"))
        return _Outcome(json_reply(200, [record.order_claim()]))


@dataclass
class _Outcome:
    """The reply decided for one API request, with what is recorded beside it.

    ``source_order_id`` is set when the answer is a filed claim's (filed now or replayed);
    ``stale`` requests (which waited through a ``reset()``) are dropped and not recorded.
    """

    reply: Reply
    log_detail: str = ""
    fetched_images: dict[str, str] = field(default_factory=dict)
    fault: str = "none"
    hang_seconds: float = 0.0
    source_order_id: str | None = None
    replayed: bool = False
    stale: bool = False


def _check_oauth_options(clients: dict[str, str], token_ttl: int) -> None:
    if not all(isinstance(c, str) and c and isinstance(s, str) and s for c, s in clients.items()):
        raise ValueError("oauth_clients must map non-empty client ids to non-empty secrets")
    if not isinstance(token_ttl, int) or isinstance(token_ttl, bool) or token_ttl < 0:
        raise ValueError("token_ttl must be a whole number of seconds >= 0")


def _media_type(headers: dict[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def _idempotency_key(headers: dict[str, str]) -> str | None:
    key = headers.get("idempotency-key")
    return key.strip() if key is not None else None


def _body_refusal(headers: dict[str, str], body_json: Any) -> _Outcome | None:
    if _media_type(headers) != "application/json":
        return _Outcome(error_reply(400, "Content-Type must be application/json"), "not json")
    if body_json is _NOT_JSON:
        return _Outcome(error_reply(400, "request body is not valid JSON"), "not json")
    if not isinstance(body_json, dict):
        return _Outcome(error_reply(400, "request body must be a JSON object"), "not json")
    return None


def _store_refusal(issued: IssuedToken | None, body: dict[str, Any]) -> _Outcome | None:
    """403 when an OAuth token is used for another store (a missing storeId is a 400 later)."""
    store_id = body.get("storeId")
    if issued is None or not isinstance(store_id, str) or store_id == issued.store_id:
        return None
    return _Outcome(error_reply(403, f"Token is not valid for store {store_id}"), "wrong store")


def _replayed(stored: StoredResult, body: dict[str, Any]) -> _Outcome:
    if request_fingerprint(body) != stored.fingerprint:
        return _Outcome(error_reply(422, KEY_REUSED_MESSAGE), "idempotency key reused")
    reply = Reply(stored.status, stored.body, {REPLAYED_HEADER: "true"})
    detail = f"{stored.source_order_id} replayed"
    return _Outcome(reply, detail, source_order_id=stored.source_order_id, replayed=True)


def _fault_outcome(mode: str, plan: FaultPlan) -> _Outcome:
    detail = f"fault={mode}"
    if mode == "hang":
        return _Outcome(Reply(None), detail, fault=mode, hang_seconds=plan.hang_seconds)
    if mode == "drop":
        return _Outcome(Reply(None), detail, fault=mode)
    if mode == "malformed_json":
        return _Outcome(Reply(200, MALFORMED_BODY), detail, fault=mode)
    status = ERROR_MODE_STATUS[mode]
    if mode == "rate_limit_429":
        retry = {"Retry-After": str(plan.retry_after)} if plan.retry_after is not None else {}
        return _Outcome(error_reply(429, "Too many requests", retry), detail, fault=mode)
    reply = error_reply(status, f"Sandbox fault: simulated HTTP {status}")
    return _Outcome(reply, detail, fault=mode)


def _fault_after_filing(mode: str, plan: FaultPlan, filed: _Outcome) -> _Outcome:
    """The fault's answer in place of ``filed``'s, keeping what was filed for the record."""
    fault = _fault_outcome(mode, plan)
    return dataclasses.replace(
        fault,
        log_detail=f"{filed.source_order_id} {fault.log_detail} after filing",
        fetched_images=filed.fetched_images,
        source_order_id=filed.source_order_id,
    )


def _received_request(
    method: str,
    path: str,
    headers: dict[str, str],
    raw_body: bytes,
    body_json: Any,
    outcome: _Outcome,
) -> ReceivedRequest:
    """What is recorded of one request: with secrets masked, never as sent."""
    body_text = raw_body.decode("utf-8", errors="replace")
    response_body = _decoded(outcome.reply)
    recorded_json = None if body_json is _NOT_JSON else body_json
    key = None
    if path == TOKEN_PATH:
        headers = mask_authorization(headers, all_schemes=True)
        if body_json is not _NOT_JSON and mask_secrets(body_json) != body_json:
            recorded_json = mask_secrets(body_json)
            body_text = json.dumps(recorded_json)
        body_text = mask_secret_text(body_text)
        response_body = mask_token_answer(response_body)
    else:
        headers = mask_authorization(headers)
        if path == CLAIMS_PATH:
            key = _idempotency_key({k.lower(): v for k, v in headers.items()})
    return ReceivedRequest(
        method=method,
        path=path,
        headers=headers,
        body_json=recorded_json,
        body_text=body_text,
        response_status=outcome.reply.status,
        response_body=response_body,
        received_at=datetime.now(UTC),
        fetched_images=outcome.fetched_images,
        fault=outcome.fault,
        idempotency_key=key,
        replayed=outcome.replayed,
    )


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
