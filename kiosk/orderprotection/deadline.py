"""A wall-clock budget shared by every step of one call: token fetch, connect, send, answer."""

import time

from kiosk.orderprotection.errors import ApiUnavailable, HttpExchange


class Deadline:
    """`Deadline(seconds)` from now; `Deadline(None)` never expires (the timeouts still apply)."""

    def __init__(self, seconds: float | None):
        self._expires = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float | None:
        return None if self._expires is None else self._expires - time.monotonic()

    def timeout(
        self, connect: float, read: float, *, exchange: HttpExchange, stage: str
    ) -> tuple[float, float]:
        """The (connect, read) timeouts for the next step, within what is left of the budget.

        Raises ApiUnavailable (nothing was sent) when the budget is spent before `stage`.
        """
        remaining = self.remaining()
        if remaining is None:
            return (connect, read)
        if remaining <= 0.01:
            raise ApiUnavailable(
                f"No time was left to send {stage} (deadline passed).", exchange=exchange
            )
        return (min(connect, remaining), min(read, remaining))
