"""OrderProtection's API: one client, typed answers and a small hierarchy of errors."""

from kiosk.orderprotection.answers import ClaimPage, FiledClaim, RemoteClaim
from kiosk.orderprotection.client import OrderProtectionClient
from kiosk.orderprotection.credentials import OAuthClientCredentials, StaticToken
from kiosk.orderprotection.errors import (
    ApiMisconfigured,
    ApiUnauthorized,
    ApiUnavailable,
    ClaimRejected,
    HttpExchange,
    OrderProtectionError,
)

__all__ = [
    "ApiMisconfigured",
    "ApiUnauthorized",
    "ApiUnavailable",
    "ClaimPage",
    "ClaimRejected",
    "FiledClaim",
    "HttpExchange",
    "OAuthClientCredentials",
    "OrderProtectionClient",
    "OrderProtectionError",
    "RemoteClaim",
    "StaticToken",
]
