"""OAuth 2.0 client credentials for the sandbox: ``POST /v1/oauth/token`` and its tokens.

Only the ``client_credentials`` grant is modelled (see api-notes section 3): a JSON body
with ``client_id``, ``client_secret``, ``store_id`` and ``scopes`` gets an ``op_at_``
access token bound to that store and those scopes, valid for ``ttl`` seconds.
Secrets never reach the request log: see the ``mask_*`` helpers.
"""

from __future__ import annotations

import dataclasses
import hmac
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.handler import Reply, json_reply

TOKEN_PATH = "/v1/oauth/token"
DEFAULT_OAUTH_CLIENTS: dict[str, str] = {"op_app_sandbox": "op_secret_sandbox"}
DEFAULT_SCOPES: tuple[str, ...] = ("write_claims",)
# Holding any one of these lets a token file claims.
CLAIM_SCOPES: frozenset[str] = frozenset({"write_claims", "manage_claims"})
ACCESS_TOKEN_PREFIX = "op_at_"
MASK = "***"
# RFC 6749 section 5.1: token answers must not be cached.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# client_secret in a body that did not parse as JSON: form-encoded or broken JSON.
_FORM_SECRET = re.compile(r"(client_secret=)[^&]*")
_JSON_SECRET = re.compile(r'("client_secret"\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\s]*)')


@dataclass(frozen=True)
class IssuedToken:
    """An access token the sandbox issued; ``expires_at`` is on the ``time.monotonic()`` clock."""

    token: str
    client_id: str
    store_id: str
    scopes: tuple[str, ...]
    expires_at: float

    @property
    def expired(self) -> bool:
        """Whether the token is past its expiry (or was expired by ``expire_all()``)."""
        return time.monotonic() >= self.expires_at

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready and safe to show: the token itself is reduced to its last 4 characters."""
        return {
            "token_last4": self.token[-4:],
            "client_id": self.client_id,
            "store_id": self.store_id,
            "scopes": list(self.scopes),
            "expired": self.expired,
        }


class OAuthError(Exception):
    """A refused token request, answered with an RFC 6749 error body."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def reply(self) -> Reply:
        """The JSON error answer: ``{"error": ..., "error_description": ...}``."""
        body = {"error": self.error, "error_description": self.description}
        return json_reply(self.status, body, dict(_NO_STORE))


class TokenIssuer:
    """Issues and remembers access tokens for the configured clients. Thread-safe.

    ``clients`` maps client_id to client_secret; ``ttl`` is the tokens' lifetime in seconds.
    """

    def __init__(self, clients: Mapping[str, str], ttl: int) -> None:
        self.clients = dict(clients)
        self.ttl = ttl
        self._lock = threading.Lock()
        self._tokens: dict[str, IssuedToken] = {}

    def token_reply(self, media_type: str, body: dict[str, Any] | None) -> tuple[Reply, str]:
        """Answer a token request (``body`` is ``None`` unless it was a JSON object).

        Returns the reply and a short description for the log, free of secrets.
        """
        try:
            issued = self._issue(media_type, body)
        except OAuthError as exc:
            return exc.reply(), f"error={exc.error}"
        answer = {
            "access_token": issued.token,
            "token_type": "Bearer",
            "expires_in": self.ttl,
            "scope": " ".join(issued.scopes),
        }
        detail = f"client={issued.client_id} store={issued.store_id} scope={answer['scope']}"
        return json_reply(200, answer, dict(_NO_STORE)), detail

    def lookup(self, token: str) -> IssuedToken | None:
        """The issued token with this value, expired or not; ``None`` if never issued."""
        with self._lock:
            return self._tokens.get(token)

    def expire_all(self) -> None:
        """Mark every token issued so far as expired."""
        now = time.monotonic()
        with self._lock:
            for value, token in self._tokens.items():
                self._tokens[value] = dataclasses.replace(
                    token, expires_at=min(token.expires_at, now)
                )

    def issued(self) -> list[dict[str, Any]]:
        """The tokens issued so far, oldest first, as ``IssuedToken.to_dict()``."""
        with self._lock:
            return [token.to_dict() for token in self._tokens.values()]

    def _issue(self, media_type: str, body: dict[str, Any] | None) -> IssuedToken:
        if media_type != "application/json":
            raise OAuthError("invalid_request", "Content-Type must be application/json")
        if body is None:
            raise OAuthError("invalid_request", "request body must be a JSON object")
        if body.get("grant_type") != "client_credentials":
            raise OAuthError(
                "unsupported_grant_type", "only the client_credentials grant is supported"
            )
        client_id = _required_string(body, "client_id")
        store_id = _required_string(body, "store_id")
        self._authenticate_client(client_id, body.get("client_secret"))
        scopes = _requested_scopes(body.get("scopes"))
        token = IssuedToken(
            token=ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(24),  # 32 url-safe characters
            client_id=client_id,
            store_id=store_id,
            scopes=scopes,
            expires_at=time.monotonic() + self.ttl,
        )
        with self._lock:
            self._tokens[token.token] = token
        return token

    def _authenticate_client(self, client_id: str, client_secret: Any) -> None:
        expected = self.clients.get(client_id)
        if (
            expected is None
            or not isinstance(client_secret, str)
            or not hmac.compare_digest(expected.encode(), client_secret.encode())
        ):
            raise OAuthError("invalid_client", "unknown client or wrong client_secret", 401)


def _required_string(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise OAuthError("invalid_request", f"{name} is required")
    return value


def _requested_scopes(value: Any) -> tuple[str, ...]:
    if value is None or value == []:
        return DEFAULT_SCOPES
    # Scopes are answered space-separated, so a scope name cannot be blank or hold spaces.
    if not isinstance(value, list) or not all(
        isinstance(scope, str) and scope and not any(c.isspace() for c in scope) for scope in value
    ):
        raise OAuthError("invalid_scope", "scopes must be a list of scope names")
    return tuple(dict.fromkeys(value))


# -- keeping secrets out of the request log --------------------------------------------------


def masked_token(token: str) -> str:
    """An access token as shown in the log: ``op_at_…`` and its last 4 characters."""
    return f"{ACCESS_TOKEN_PREFIX}…{token[-4:]}"


def mask_secrets(value: Any) -> Any:
    """A copy of decoded JSON with every ``client_secret`` value replaced by ``***``."""
    if isinstance(value, dict):
        return {
            key: MASK if key == "client_secret" else mask_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


def mask_secret_text(text: str) -> str:
    """``client_secret`` values in a raw body (JSON or form-encoded) replaced by ``***``."""
    text = _FORM_SECRET.sub(rf"\g<1>{MASK}", text)
    return _JSON_SECRET.sub(rf'\g<1>"{MASK}"', text)


def mask_token_answer(body: Any) -> Any:
    """A token answer with its ``access_token`` shortened by ``masked_token()``."""
    if isinstance(body, dict) and isinstance(body.get("access_token"), str):
        return {**body, "access_token": masked_token(body["access_token"])}
    return body


def mask_authorization(headers: dict[str, str], *, all_schemes: bool = False) -> dict[str, str]:
    """Headers with credentials hidden from ``Authorization``.

    Bearer ``op_at_`` tokens are shortened by ``masked_token()``; with ``all_schemes``
    (used on the token endpoint, where Basic would carry the client secret) any other
    credentials become ``***``. Other bearer tokens (the static ones) are left as sent.
    """
    masked = dict(headers)
    for name, value in headers.items():
        if name.lower() != "authorization":
            continue
        scheme, _, credentials = value.partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "bearer" and credentials.startswith(ACCESS_TOKEN_PREFIX):
            masked[name] = f"{scheme} {masked_token(credentials)}"
        elif all_schemes:
            masked[name] = f"{scheme} {MASK}" if credentials else MASK
    return masked
