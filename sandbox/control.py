"""Control calls under ``/__sandbox__/``: how tests and demos steer the sandbox over HTTP.

- ``GET /__sandbox__/health``; ``GET|DELETE /__sandbox__/received`` (DELETE resets all)
- ``GET /__sandbox__/claims``, ``GET /__sandbox__/claim-keys``
- ``GET|PUT|DELETE /__sandbox__/faults`` and ``/__sandbox__/lookup-faults`` (a fault plan)
- ``GET /__sandbox__/concurrency``: claim requests being answered now, and the peak
- ``GET|DELETE /__sandbox__/tokens`` (DELETE expires every issued token)
- ``PUT /__sandbox__/idempotency`` ``{"honour": true}``
- ``GET|PUT|DELETE /__sandbox__/webhooks`` ``{"url", "secret", "style", "repeat"}``
- ``POST /__sandbox__/claims/{sourceOrderId}/state``
  ``{"state": "APPROVED", "resolution": "REFUND"}`` or ``{"state": "DENIED", "reason": …}``,
  with ``"notify": false`` to send no webhook
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.faults import FaultPlan
from sandbox.handler import Reply, error_reply, json_reply
from sandbox.webhooks import WebhookTarget

if TYPE_CHECKING:
    from sandbox.server import SandboxServer

HEALTH = {"status": "ok", "sandbox": True}
CLAIM_STATE_PATH = re.compile(r"/__sandbox__/claims/([^/]+)/state")

Handler = Callable[["SandboxServer", Any], Reply]


def handle_control(server: SandboxServer, method: str, path: str, raw_body: bytes) -> Reply:
    if match := CLAIM_STATE_PATH.fullmatch(path):
        routes = {"POST": lambda s, body: _claim_state(s, match.group(1), body)}
    else:
        routes = ROUTES.get(path)
    if routes is None:
        return error_reply(404, f"no route for {path}")
    if method not in routes:
        return error_reply(405, f"{method} is not allowed on {path}", {"Allow": ", ".join(routes)})
    try:
        body = json.loads(raw_body) if raw_body else None
    except ValueError:
        return error_reply(400, "the body is not JSON")
    return routes[method](server, body)


def _reset(server: SandboxServer, body: Any) -> Reply:
    server.reset()
    return json_reply(200, {"status": "ok"})


def _put_faults(server: SandboxServer, body: Any) -> Reply:
    try:
        return json_reply(200, server.set_faults(FaultPlan.from_dict(body)).to_dict())
    except (TypeError, ValueError) as exc:
        return error_reply(400, f"invalid fault plan: {exc}")


def _put_lookup_faults(server: SandboxServer, body: Any) -> Reply:
    try:
        return json_reply(200, server.set_lookup_faults(FaultPlan.from_dict(body)).to_dict())
    except (TypeError, ValueError) as exc:
        return error_reply(400, f"invalid fault plan: {exc}")


def _expire_tokens(server: SandboxServer, body: Any) -> Reply:
    server.expire_tokens()
    return json_reply(200, server.issued_tokens)


def _put_idempotency(server: SandboxServer, body: Any) -> Reply:
    if not isinstance(body, dict) or not isinstance(body.get("honour"), bool):
        return error_reply(400, 'expected {"honour": true} or {"honour": false}')
    server.honour_idempotency = body["honour"]
    return json_reply(200, {"honour": server.honour_idempotency})


def _put_webhooks(server: SandboxServer, body: Any) -> Reply:
    try:
        target = WebhookTarget.from_dict(body)
    except (TypeError, ValueError) as exc:
        return error_reply(400, f"invalid webhook target: {exc}")
    server.set_webhook(
        url=target.url, secret=target.secret, style=target.style, repeat=target.repeat
    )
    return json_reply(200, {"url": target.url, "style": target.style, "repeat": target.repeat})


def _delete_webhooks(server: SandboxServer, body: Any) -> Reply:
    server.clear_webhook()
    return json_reply(200, {"status": "ok"})


def _claim_state(server: SandboxServer, number: str, body: Any) -> Reply:
    if not isinstance(body, dict) or not isinstance(body.get("state"), str):
        return error_reply(400, 'expected {"state": …}')
    try:
        result = server.set_claim_state(
            number,
            body["state"],
            resolution=body.get("resolution"),
            reason=body.get("reason"),
            notify=body.get("notify", True) is not False,
        )
    except KeyError:
        return error_reply(404, f"no claim {number}")
    except ValueError as exc:
        return error_reply(400, str(exc))
    return json_reply(200, result)


ROUTES: dict[str, dict[str, Handler]] = {
    "/__sandbox__/health": {"GET": lambda s, _: json_reply(200, HEALTH)},
    "/__sandbox__/received": {
        "GET": lambda s, _: json_reply(200, [r.to_dict() for r in s.received]),
        "DELETE": _reset,
    },
    "/__sandbox__/claims": {"GET": lambda s, _: json_reply(200, s.claims)},
    "/__sandbox__/claim-keys": {"GET": lambda s, _: json_reply(200, s.claim_keys)},
    "/__sandbox__/faults": {
        "GET": lambda s, _: json_reply(200, s.faults.to_dict()),
        "PUT": _put_faults,
        "DELETE": lambda s, _: json_reply(200, s.set_faults(FaultPlan()).to_dict()),
    },
    "/__sandbox__/lookup-faults": {
        "GET": lambda s, _: json_reply(200, s.lookup_faults.to_dict()),
        "PUT": _put_lookup_faults,
        "DELETE": lambda s, _: json_reply(200, s.set_lookup_faults(FaultPlan()).to_dict()),
    },
    "/__sandbox__/concurrency": {"GET": lambda s, _: json_reply(200, s.claims_in_flight)},
    "/__sandbox__/tokens": {
        "GET": lambda s, _: json_reply(200, s.issued_tokens),
        "DELETE": _expire_tokens,
    },
    "/__sandbox__/idempotency": {
        "GET": lambda s, _: json_reply(200, {"honour": s.honour_idempotency}),
        "PUT": _put_idempotency,
    },
    "/__sandbox__/webhooks": {
        "GET": lambda s, _: json_reply(200, s.webhook_deliveries),
        "PUT": _put_webhooks,
        "DELETE": _delete_webhooks,
    },
}
