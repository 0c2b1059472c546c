"""What can go wrong when talking to OrderProtection, as a small hierarchy of errors."""

from dataclasses import dataclass


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
    """The API refused the claim's content (400, 422 and other 4xx); sending it again won't help.

    `field_path` names the field the API complained about, when it said.
    """

    def __init__(self, message: str, *, exchange: HttpExchange, field_path: str = ""):
        super().__init__(message, exchange=exchange)
        self.field_path = field_path


class ApiMisconfigured(OrderProtectionError):
    """404, 405 or 413: the portal's URL, method or limits do not fit the API. For a manager."""


class ApiUnauthorized(ApiMisconfigured):
    """401 or 403 (or a refused token request): the portal's credentials were refused."""


class ApiUnavailable(OrderProtectionError):
    """Timeout, connection error, 5xx, 408, 429 or an unreadable answer: try again later.

    `outcome_unknown` is set when the request went out and may have been acted on
    (no readable answer, or a 5xx): the claim may exist at OrderProtection, so it
    must be looked up there before it is sent again.
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
