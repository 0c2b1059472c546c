"""The one client for OrderProtection's API.

Every call has explicit connect and read timeouts, and every outcome is either
a typed result or one of the errors below, so that callers decide what the
associate sees without looking at HTTP details.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from django.conf import settings

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

    The claim may or may not have reached the API when the request went out
    and no readable answer came back.
    """

    permanent = False

    def __init__(self, message: str, *, exchange: HttpExchange, retry_after: float | None = None):
        super().__init__(message, exchange=exchange)
        self.retry_after = retry_after


class ApiUnauthorized(OrderProtectionError):
    """401 or 403: the portal's credentials were refused."""


@dataclass(frozen=True)
class FiledClaim:
    source_order_id: str
    payload: dict[str, Any]
    exchange: HttpExchange = field(compare=False)


class OrderProtectionClient:
    """Talks to OrderProtection (or the sandbox) over one `requests.Session`."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        connect_timeout: float,
        read_timeout: float,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.session = session or requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        )

    @classmethod
    def from_settings(cls) -> "OrderProtectionClient":
        """The client configured by settings, one per thread, so connections are reused."""
        options = {
            "base_url": settings.ORDERPROTECTION_API_URL,
            "token": settings.ORDERPROTECTION_API_TOKEN,
            "connect_timeout": settings.ORDERPROTECTION_CONNECT_TIMEOUT,
            "read_timeout": settings.ORDERPROTECTION_READ_TIMEOUT,
        }
        cached = getattr(_clients, "cached", None)
        if cached is None or cached[0] != options:
            _clients.cached = (options, cls(**options))
        return _clients.cached[1]

    @property
    def offline_claim_url(self) -> str:
        return self.base_url + OFFLINE_CLAIM_PATH

    def create_offline_claim(
        self, payload: dict[str, Any], *, idempotency_key: str | None = None
    ) -> FiledClaim:
        """POST /v1/claims/offline.

        Returns the filed claim with its `sourceOrderId`. Raises ClaimRejected,
        ApiUnavailable or ApiUnauthorized; each carries the HTTP exchange.
        The API documents no idempotency key; sending one is harmless.
        """
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        exchange = HttpExchange(url=self.offline_claim_url)
        started = time.monotonic()
        try:
            response = self.session.post(
                self.offline_claim_url, json=payload, headers=headers, timeout=self.timeout
            )
        except requests.Timeout as exc:
            raise ApiUnavailable(
                f"OrderProtection did not answer in time ({exc.__class__.__name__}).",
                exchange=self._finish(exchange, started),
            ) from exc
        except requests.RequestException as exc:
            raise ApiUnavailable(
                f"Could not reach OrderProtection ({exc.__class__.__name__}).",
                exchange=self._finish(exchange, started),
            ) from exc
        self._finish(exchange, started, response)
        return self._parse_claim_response(response, exchange)

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
            )
        return FiledClaim(source_order_id=str(source_order_id), payload=payload, exchange=exchange)


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
