"""How many claim requests the sandbox is answering at once, and the most it has seen.

A client that paces its sends (a cap on sends in flight) can be checked from the
outside: the peak counts ``POST /v1/claims/offline`` requests from arrival to answer,
latency and ``hang`` included.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class InFlight:
    """A thread-safe counter of requests being answered, with its peak since ``reset()``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now = 0
        self._peak = 0

    @contextmanager
    def counting(self) -> Iterator[None]:
        with self._lock:
            self._now += 1
            self._peak = max(self._peak, self._now)
        try:
            yield
        finally:
            with self._lock:
                self._now -= 1

    def snapshot(self) -> dict[str, int]:
        """``{"in_flight": …, "peak": …}``."""
        with self._lock:
            return {"in_flight": self._now, "peak": self._peak}

    def reset(self) -> None:
        """Forget the peak (requests still being answered stay counted)."""
        with self._lock:
            self._peak = self._now
