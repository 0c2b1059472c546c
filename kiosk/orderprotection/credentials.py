"""How the portal proves who it is: a static merchant token, or OAuth client credentials."""

import hashlib
import logging

import requests
from django.core.cache import cache

from kiosk.orderprotection.answers import json_or_none, retry_after_seconds
from kiosk.orderprotection.deadline import Deadline
from kiosk.orderprotection.errors import ApiUnauthorized, ApiUnavailable, HttpExchange

logger = logging.getLogger(__name__)


class StaticToken:
    """A merchant API token from the dashboard, sent as it is."""

    refreshable = False

    def __init__(self, token: str):
        self._token = token

    def authorization(self, *, store_id: str, exchange: HttpExchange, deadline: Deadline) -> str:
        return f"Bearer {self._token}"

    def invalidate(self, *, store_id: str) -> None:
        """A static token cannot be renewed."""


class OAuthClientCredentials:
    """OAuth client credentials: one access token per store from POST /v1/oauth/token.

    Tokens live in Django's cache until `refresh_margin` seconds before they
    expire, so every process (and, with a shared cache, every machine) reuses
    them. Tokens and the client secret are never logged. Fetching a token
    counts against the caller's deadline.
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
        retry_after_max: float = 3600.0,
    ):
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = scopes
        self.refresh_margin = refresh_margin
        self.session = session
        self.timeout = timeout
        self.retry_after_max = retry_after_max

    def _cache_key(self, store_id: str) -> str:
        digest = hashlib.sha256(f"{self.client_id}\0{store_id}".encode()).hexdigest()[:32]
        return f"orderprotection-oauth-token:{digest}"

    def authorization(self, *, store_id: str, exchange: HttpExchange, deadline: Deadline) -> str:
        token = cache.get(self._cache_key(store_id))
        if token is None:
            token, expires_in = self._request_token(store_id, exchange, deadline)
            lifetime = max(1, expires_in - self.refresh_margin)
            cache.set(self._cache_key(store_id), token, timeout=lifetime)
            logger.info("OAuth token obtained for store %s (valid %s s)", store_id, expires_in)
        return f"Bearer {token}"

    def invalidate(self, *, store_id: str) -> None:
        cache.delete(self._cache_key(store_id))

    def _request_token(
        self, store_id: str, exchange: HttpExchange, deadline: Deadline
    ) -> tuple[str, int]:
        body = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "store_id": store_id,
            "scopes": list(self.scopes),
        }
        timeout = deadline.timeout(*self.timeout, exchange=exchange, stage="an OAuth token")
        try:
            response = self.session.post(self.token_url, json=body, timeout=timeout)
        except requests.RequestException as exc:
            raise ApiUnavailable(
                f"Could not get an OAuth token ({exc.__class__.__name__}).", exchange=exchange
            ) from exc
        data = json_or_none(response)
        status = response.status_code
        if status in (408, 429) or status >= 500:
            raise ApiUnavailable(
                f"The OAuth token endpoint is unavailable (HTTP {status}).",
                exchange=exchange,
                retry_after=retry_after_seconds(response, maximum=self.retry_after_max),
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
        except (TypeError, ValueError, OverflowError):
            expires_in = 3600
        return str(token), expires_in
