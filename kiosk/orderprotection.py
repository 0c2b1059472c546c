"""The one client for OrderProtection's API.

Every call has explicit connect and read timeouts, and every outcome is either
a typed result or one of the errors below, so that callers decide what the
associate sees without looking at HTTP details.
"""

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import urllib3
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

OFFLINE_CLAIM_PATH = "/v1/claims/offline"

# requests.Session is not documented as thread-safe: each thread keeps its own.
_clients = threading.local()


@dataclass
class HttpExchange:
    """What went over the wire, for the audit trail."""

    url: str
    duration_ms: int = 0
    status_code: int | None = None
    body_text: str = ""


class OrderProtectionError(Exception):
    """Base of every failure. `permanent` says whether sending again can help."""

    permanent = True

    def __init__(self, message: str, *, exchange: HttpExchange):
        super().__init__(message)
        self.message = message
        self.exchange = exchange


class ClaimRejected(OrderProtectionError):
    """The API refused the claim (a 4xx other than 401/403/408/429); a person must correct it."""

    def __init__(self, message: str, *, exchange: HttpExchange, field_path: str = ""):
        super().__init__(message, exchange=exchange)
        self.field_path = field_path


class ApiUnavailable(OrderProtectionError):
    """Timeout, connection error, 5xx, 408, 429 or an unreadable answer: try again later.

    `outcome_unknown` is set when the request went out and no readable answer
    came back: the claim may exist, so it must be sent again with the same key.
    """

    permanent = False

    def __init__(
        self,
        message: str,
        *,
        exchange: HttpExchange,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
    ):
        super().__init__(message, exchange=exchange)
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown


class ApiUnauthorized(OrderProtectionError):
    """401 or 403 (or a refused token request): the portal's credentials were refused."""


@dataclass(frozen=True)
class FiledClaim:
    source_order_id: str
    payload: dict[str, Any]
    exchange: HttpExchange = field(compare=False)


class StaticToken:
    """A merchant API token from the dashboard, sent as it is."""

    refreshable = False

    def __init__(self, token: str):
        self._token = token

    def authorization(self, *, store_id: str, exchange: HttpExchange) -> str:
        return f"Bearer {self._token}"

    def invalidate(self, *, store_id: str) -> None:
        """A static token cannot be renewed."""


class OAuthClientCredentials:
    """OAuth client credentials: one access token per store from POST /v1/oauth/token.

    Tokens live in Django's cache until `refresh_margin` seconds before they
    expire, so every process (and, with a shared cache, every machine) reuses
    them. Tokens and the client secret are never logged.
    """

    refreshable = True

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        scopes: tuple[str, ...],
        refresh_margin: int,
        session: requests.Session,
        timeout: tuple[float, float],
    ):
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = scopes
        self.refresh_margin = refresh_margin
        self.session = session
        self.timeout = timeout

    def _cache_key(self, store_id: str) -> str:
        digest = hashlib.sha256(f"{self.client_id}\0{store_id}".encode()).hexdigest()[:32]
        return f"orderprotection-oauth-token:{digest}"

    def authorization(self, *, store_id: str, exchange: HttpExchange) -> str:
        token = cache.get(self._cache_key(store_id))
        if token is None:
            token, expires_in = self._request_token(store_id, exchange)
            lifetime = max(1, expires_in - self.refresh_margin)
            cache.set(self._cache_key(store_id), token, timeout=lifetime)
            logger.info("OAuth token obtained for store %s (valid %s s)", store_id, expires_in)
        return f"Bearer {token}"

    def invalidate(self, *, store_id: str) -> None:
        cache.delete(self._cache_key(store_id))

    def _request_token(self, store_id: str, exchange: HttpExchange) -> tuple[str, int]:
        body = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "store_id": store_id,
            "scopes": list(self.scopes),
        }
        try:
            response = self.session.post(self.token_url, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ApiUnavailable(
                f"Could not get an OAuth token ({exc.__class__.__name__}).", exchange=exchange
            ) from exc
        data = _json_or_none(response)
        status = response.status_code
        if status in (408, 429) or status >= 500:
            raise ApiUnavailable(
                f"The OAuth token endpoint is unavailable (HTTP {status}).",
                exchange=exchange,
                retry_after=_retry_after_seconds(response),
            )
        token = data.get("access_token") if isinstance(data, dict) else None
        if status != 200 or not token:
            reason = data.get("error", "") if isinstance(data, dict) else ""
            raise ApiUnauthorized(
                f"OrderProtection refused the OAuth client credentials "
                f"(HTTP {status}{': ' + str(reason) if reason else ''}).",
                exchange=exchange,
            )
        try:
            expires_in = int(data.get("expires_in", 3600))
        except (TypeError, ValueError):
            expires_in = 3600
        return str(token), expires_in


class OrderProtectionClient:
    """Talks to OrderProtection (or the sandbox) over one `requests.Session`."""

    def __init__(
        self,
        *,
        base_url: str,
        credentials: "StaticToken | OAuthClientCredentials",
        connect_timeout: float,
        read_timeout: float,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.session = session or requests.Session()
        self.session.headers.update({"Accept": "application/json"})

    @classmethod
    def from_settings(cls) -> "OrderProtectionClient":
        """The client configured by settings, one per thread, so connections are reused."""
        options = {
            "base_url": settings.ORDERPROTECTION_API_URL,
            "auth": settings.ORDERPROTECTION_AUTH,
            "token": settings.ORDERPROTECTION_API_TOKEN,
            "client_id": settings.ORDERPROTECTION_OAUTH_CLIENT_ID,
            "client_secret": settings.ORDERPROTECTION_OAUTH_CLIENT_SECRET,
            "scopes": tuple(settings.ORDERPROTECTION_OAUTH_SCOPES),
            "token_url": settings.ORDERPROTECTION_OAUTH_TOKEN_URL,
            "refresh_margin": settings.ORDERPROTECTION_OAUTH_REFRESH_MARGIN,
            "connect_timeout": settings.ORDERPROTECTION_CONNECT_TIMEOUT,
            "read_timeout": settings.ORDERPROTECTION_READ_TIMEOUT,
        }
        cached = getattr(_clients, "cached", None)
        if cached is None or cached[0] != options:
            session = requests.Session()
            if options["auth"] == "oauth":
                credentials = OAuthClientCredentials(
                    token_url=options["token_url"],
                    client_id=options["client_id"],
                    client_secret=options["client_secret"],
                    scopes=options["scopes"],
                    refresh_margin=options["refresh_margin"],
                    session=session,
                    timeout=(options["connect_timeout"], options["read_timeout"]),
                )
            else:
                credentials = StaticToken(options["token"])
            client = cls(
                base_url=options["base_url"],
                credentials=credentials,
                connect_timeout=options["connect_timeout"],
                read_timeout=options["read_timeout"],
                session=session,
            )
            _clients.cached = (options, client)
        return _clients.cached[1]

    @property
    def offline_claim_url(self) -> str:
        return self.base_url + OFFLINE_CLAIM_PATH

    def create_offline_claim(
        self,
        payload: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        deadline: float | None = None,
    ) -> FiledClaim:
        """POST /v1/claims/offline.

        Returns the filed claim with its `sourceOrderId`. Raises ClaimRejected,
        ApiUnavailable or ApiUnauthorized; each carries the HTTP exchange.
        The API documents no idempotency key; sending one is harmless.
        `deadline` (seconds) shortens both timeouts for this call.
        """
        exchange = HttpExchange(url=self.offline_claim_url)
        timeout = self._timeout(deadline)
        started = time.monotonic()
        authorization = self.credentials.authorization(
            store_id=str(payload.get("storeId", "")), exchange=exchange
        )
        headers = {"Authorization": authorization}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            response = self.session.post(
                self.offline_claim_url, json=payload, headers=headers, timeout=timeout
            )
        except requests.ConnectTimeout as exc:
            raise ApiUnavailable(
                "Could not connect to OrderProtection in time (ConnectTimeout).",
                exchange=self._finish(exchange, started),
            ) from exc
        except requests.Timeout as exc:
            raise ApiUnavailable(
                f"OrderProtection did not answer in time ({exc.__class__.__name__}).",
                exchange=self._finish(exchange, started),
                outcome_unknown=True,
            ) from exc
        except requests.RequestException as exc:
            raise ApiUnavailable(
                f"Could not reach OrderProtection ({exc.__class__.__name__}).",
                exchange=self._finish(exchange, started),
                outcome_unknown=_may_have_been_sent(exc),
            ) from exc
        self._finish(exchange, started, response)
        return self._parse_claim_response(response, exchange)

    def _timeout(self, deadline: float | None) -> tuple[float, float]:
        if deadline is None:
            return (self.connect_timeout, self.read_timeout)
        return (min(self.connect_timeout, deadline), min(self.read_timeout, deadline))

    @staticmethod
    def _finish(
        exchange: HttpExchange, started: float, response: requests.Response | None = None
    ) -> HttpExchange:
        exchange.duration_ms = round((time.monotonic() - started) * 1000)
        if response is not None:
            exchange.status_code = response.status_code
            exchange.body_text = response.text
        return exchange

    def _parse_claim_response(
        self, response: requests.Response, exchange: HttpExchange
    ) -> FiledClaim:
        status = response.status_code
        body = _json_or_none(response)
        if status in (401, 403):
            raise ApiUnauthorized(
                f"OrderProtection refused the portal's credentials (HTTP {status}).",
                exchange=exchange,
            )
        if status in (408, 429) or status >= 500:
            raise ApiUnavailable(
                f"OrderProtection is unavailable (HTTP {status}).",
                exchange=exchange,
                retry_after=_retry_after_seconds(response),
            )
        if 400 <= status < 500:
            message, field_path = _error_message_and_field(body)
            raise ClaimRejected(
                message or f"OrderProtection rejected the claim (HTTP {status}).",
                exchange=exchange,
                field_path=field_path,
            )
        body = body if isinstance(body, dict) else {}
        payload = body.get("payload")
        source_order_id = payload.get("sourceOrderId") if isinstance(payload, dict) else None
        if status not in (200, 201) or body.get("status") != "ok" or not source_order_id:
            # The request arrived but the answer is unreadable: the claim may
            # exist, so this is not a rejection a person could correct.
            raise ApiUnavailable(
                f"OrderProtection sent an answer the portal cannot read (HTTP {status}).",
                exchange=exchange,
                outcome_unknown=True,
            )
        return FiledClaim(source_order_id=str(source_order_id), payload=payload, exchange=exchange)


def _may_have_been_sent(exc: requests.RequestException) -> bool:
    """False only when no connection was made, so the request cannot have arrived."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, urllib3.exceptions.NewConnectionError)


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return None


def _retry_after_seconds(response: requests.Response) -> float | None:
    """Retry-After as seconds; it may be a number of seconds or an HTTP date."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _error_message_and_field(body: Any) -> tuple[str, str]:
    """Read a message and a field from an error body of unknown shape."""
    if not isinstance(body, dict):
        return "", ""
    message = body.get("message") or body.get("error") or body.get("detail") or ""
    if isinstance(message, dict):
        message = message.get("message", "")
    field_path = body.get("field") or body.get("path") or ""
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message = message or errors[0].get("message", "")
        field_path = field_path or errors[0].get("field") or errors[0].get("path") or ""
    return str(message), str(field_path)
