"""The one client for OrderProtection's API.

Every call has explicit connect and read timeouts within a wall-clock deadline,
and every outcome is either a typed result or one of the errors in `errors`,
so that callers decide what the associate sees without looking at HTTP details.
"""

import threading
import time
from typing import Any
from urllib.parse import quote

import requests
import urllib3
from django.conf import settings

from kiosk.orderprotection.answers import (
    ClaimPage,
    FiledClaim,
    RemoteClaim,
    UnreadableAnswer,
    claim_page_from,
    error_message_and_field,
    json_or_none,
    order_claims_from,
    retry_after_seconds,
)
from kiosk.orderprotection.credentials import OAuthClientCredentials, StaticToken
from kiosk.orderprotection.deadline import Deadline
from kiosk.orderprotection.errors import (
    ApiMisconfigured,
    ApiUnauthorized,
    ApiUnavailable,
    ClaimRejected,
    HttpExchange,
)

OFFLINE_CLAIM_PATH = "/v1/claims/offline"
CLAIMS_PATH = "/v1/claims"
ORDER_CLAIMS_PATH = "/v1/orders/{claim_number}/claims"
# Not the claim's fault, and not the associate's to fix: the URL, method or size limit.
CONFIGURATION_STATUSES = (404, 405, 413)

# requests.Session is not documented as thread-safe: each thread keeps its own.
_clients = threading.local()


class OrderProtectionClient:
    """Talks to OrderProtection (or the sandbox) over one `requests.Session`."""

    def __init__(
        self,
        *,
        base_url: str,
        credentials: StaticToken | OAuthClientCredentials,
        connect_timeout: float,
        read_timeout: float,
        retry_after_max: float = 3600.0,
        list_params: tuple[str, str] = ("size", "cursor"),
        list_page_size: int = 50,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retry_after_max = retry_after_max
        self.list_params = list_params
        self.list_page_size = list_page_size
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
            "retry_after_max": settings.DELIVERY_RETRY_AFTER_MAX,
            "list_params": (
                settings.ORDERPROTECTION_LIST_SIZE_PARAM,
                settings.ORDERPROTECTION_LIST_CURSOR_PARAM,
            ),
            "list_page_size": settings.ORDERPROTECTION_LIST_PAGE_SIZE,
        }
        cached = getattr(_clients, "cached", None)
        if cached is None or cached[0] != options:
            _clients.cached = (options, cls._build(options))
        return _clients.cached[1]

    @classmethod
    def _build(cls, options: dict[str, Any]) -> "OrderProtectionClient":
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
                retry_after_max=options["retry_after_max"],
            )
        else:
            credentials = StaticToken(options["token"])
        return cls(
            base_url=options["base_url"],
            credentials=credentials,
            connect_timeout=options["connect_timeout"],
            read_timeout=options["read_timeout"],
            retry_after_max=options["retry_after_max"],
            list_params=options["list_params"],
            list_page_size=options["list_page_size"],
            session=session,
        )

    @property
    def offline_claim_url(self) -> str:
        return self.base_url + OFFLINE_CLAIM_PATH

    @property
    def claims_url(self) -> str:
        return self.base_url + CLAIMS_PATH

    @property
    def longest_call(self) -> float:
        """Seconds one call may take at most: the default deadline."""
        return self.connect_timeout + self.read_timeout

    def create_offline_claim(
        self,
        payload: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        deadline: float | None = None,
    ) -> FiledClaim:
        """POST /v1/claims/offline.

        Returns the filed claim with its `sourceOrderId`. Raises ClaimRejected,
        ApiMisconfigured (ApiUnauthorized), or ApiUnavailable; each carries the
        HTTP exchange. `deadline` (seconds, default connect + read timeout) bounds
        the token fetch, the connection and the wait for the answer; an answer
        that has started to arrive is read to its end. The API documents no
        idempotency key; sending one is harmless.
        """
        exchange = HttpExchange(url=self.offline_claim_url)
        budget = Deadline(self.longest_call if deadline is None else deadline)
        started = time.monotonic()
        store_id = str(payload.get("storeId", ""))
        headers = {"Authorization": self._authorization(store_id, exchange, budget)}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        timeout = budget.timeout(
            self.connect_timeout, self.read_timeout, exchange=exchange, stage="the claim"
        )
        try:
            response = self.session.post(
                self.offline_claim_url, json=payload, headers=headers, timeout=timeout, stream=True
            )
            _read_to_the_end(response, timeout=self.read_timeout)
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
        return self._claim_from(response, exchange)

    def list_claims(self, *, store_id: str, cursor: str | None = None) -> ClaimPage:
        """GET /v1/claims: one page, in the documented edges/node shape.

        The query parameters are not documented: their names and the page size
        come from settings. Raises ApiMisconfigured or ApiUnavailable.
        """
        size_param, cursor_param = self.list_params
        params = {size_param: str(self.list_page_size)}
        if cursor:
            params[cursor_param] = cursor
        body, _ = self._get(self.claims_url, store_id=store_id, params=params)
        try:
            return claim_page_from(body)
        except UnreadableAnswer as exc:
            raise ApiUnavailable(str(exc), exchange=HttpExchange(url=self.claims_url)) from exc

    def order_claims(self, *, store_id: str, claim_number: str) -> list[RemoteClaim]:
        """GET /v1/orders/{sourceOrderId}/claims: the claims OrderProtection has for it."""
        url = self.base_url + ORDER_CLAIMS_PATH.format(claim_number=quote(claim_number, safe=""))
        body, _ = self._get(url, store_id=store_id, params={})
        try:
            return order_claims_from(body)
        except UnreadableAnswer as exc:
            raise ApiUnavailable(str(exc), exchange=HttpExchange(url=url)) from exc

    def _get(self, url: str, *, store_id: str, params: dict[str, str]) -> tuple[Any, HttpExchange]:
        exchange = HttpExchange(url=url)
        budget = Deadline(self.longest_call)
        started = time.monotonic()
        headers = {"Authorization": self._authorization(store_id, exchange, budget)}
        timeout = budget.timeout(
            self.connect_timeout, self.read_timeout, exchange=exchange, stage="the lookup"
        )
        try:
            response = self.session.get(url, params=params, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            raise ApiUnavailable(
                f"OrderProtection did not answer the lookup ({exc.__class__.__name__}).",
                exchange=self._finish(exchange, started),
            ) from exc
        self._finish(exchange, started, response)
        self._raise_for_status(response, exchange)
        body = json_or_none(response)
        if body is None or response.status_code != 200:
            raise ApiUnavailable(
                f"OrderProtection sent a lookup answer the portal cannot read "
                f"(HTTP {response.status_code}).",
                exchange=exchange,
            )
        return body, exchange

    def _authorization(self, store_id: str, exchange: HttpExchange, budget: Deadline) -> str:
        return self.credentials.authorization(store_id=store_id, exchange=exchange, deadline=budget)

    @staticmethod
    def _finish(
        exchange: HttpExchange, started: float, response: requests.Response | None = None
    ) -> HttpExchange:
        exchange.duration_ms = round((time.monotonic() - started) * 1000)
        if response is not None:
            exchange.status_code = response.status_code
            exchange.body_text = response.text
        return exchange

    def _raise_for_status(self, response: requests.Response, exchange: HttpExchange) -> None:
        """Raise the error a non-2xx answer means; a claim's 5xx may have been acted on."""
        status = response.status_code
        if status in (401, 403):
            raise ApiUnauthorized(
                f"OrderProtection refused the portal's credentials (HTTP {status}).",
                exchange=exchange,
            )
        if status in (408, 429) or status >= 500:
            raise ApiUnavailable(
                f"OrderProtection is unavailable (HTTP {status}).",
                exchange=exchange,
                retry_after=retry_after_seconds(response, maximum=self.retry_after_max),
                outcome_unknown=status >= 500 and response.request.method == "POST",
            )
        if status in CONFIGURATION_STATUSES:
            raise ApiMisconfigured(
                f"OrderProtection answered HTTP {status} at {exchange.url}: check "
                f"ORDERPROTECTION_API_URL and the size of what is sent.",
                exchange=exchange,
            )
        if 400 <= status < 500:
            message, field_path = error_message_and_field(json_or_none(response))
            raise ClaimRejected(
                message or f"OrderProtection rejected the claim (HTTP {status}).",
                exchange=exchange,
                field_path=field_path,
            )

    def _claim_from(self, response: requests.Response, exchange: HttpExchange) -> FiledClaim:
        self._raise_for_status(response, exchange)
        body = json_or_none(response)
        body = body if isinstance(body, dict) else {}
        payload = body.get("payload")
        claim_number = payload.get("sourceOrderId") if isinstance(payload, dict) else None
        if response.status_code not in (200, 201) or body.get("status") != "ok":
            claim_number = None
        if not claim_number:
            # The request arrived but the answer is unreadable: the claim may
            # exist, so this is not a rejection a person could correct.
            raise ApiUnavailable(
                f"OrderProtection sent an answer the portal cannot read "
                f"(HTTP {response.status_code}).",
                exchange=exchange,
                outcome_unknown=True,
            )
        return FiledClaim(claim_number=str(claim_number), payload=payload, exchange=exchange)


def _read_to_the_end(response: requests.Response, *, timeout: float) -> None:
    """Read an answer whose status line has arrived, with the full read timeout.

    The deadline bounds the wait for OrderProtection to answer; once it is
    answering, giving up halfway would turn a filed claim into an unknown outcome.
    """
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.settimeout(timeout)
    response.content  # noqa: B018 - reads and keeps the body


def _may_have_been_sent(exc: requests.RequestException) -> bool:
    """False only when no connection was made, so the request cannot have arrived."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, urllib3.exceptions.NewConnectionError)
