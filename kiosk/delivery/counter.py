"""The counter's inline attempts: how many may wait on the API at once in this process, and
whether the API has been failing them lately.

A submit tries to file the claim inside the associate's request thread, for up to
DELIVERY_COUNTER_DEADLINE. Unbounded, an outage (or an API slowed down fetching our
photos) holds every thread of a gunicorn process: pages wait, and so do the photos
OrderProtection fetches from the same process, a circular wait. So at most
DELIVERY_COUNTER_CONCURRENCY attempts run at once per process; a submit that finds no free
slot hands its claim to the worker at once and the result page follows it. After
DELIVERY_COUNTER_OUTAGE_FAILURES attempts within DELIVERY_COUNTER_OUTAGE_WINDOW seconds
that the API did not answer, the counter stops trying until they are that old: an outage
then costs no thread time at all.

The state is per process and in memory: each process learns for itself, and a restart
forgets (the worst case is a few more attempts bounded by the deadline).
"""

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from kiosk.delivery.results import Result

# The API did not answer these: it was unavailable, timed out or rate limited, and the
# claim went back to the queue. Any other result is an answer (filed, or a decision).
NOT_ANSWERED = (Result.QUEUED,)


class CounterSlots:
    """Slots for inline attempts, and the times of recent attempts the API did not answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_use = 0
        self._failures: deque[float] = deque()

    def take(self) -> bool:
        """A slot for one inline attempt, if one is free and the API is not known to fail."""
        with self._lock:
            if self._in_use >= settings.DELIVERY_COUNTER_CONCURRENCY or self._api_failing():
                return False
            self._in_use += 1
            return True

    def give_back(self, *, result: Result | None) -> None:
        """Free the slot, remembering whether the API answered the attempt (None: not sent)."""
        with self._lock:
            self._in_use -= 1
            if result in NOT_ANSWERED:
                self._failures.append(time.monotonic())
            elif result is not None and result is not Result.NOT_DUE:
                self._failures.clear()

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()

    def _api_failing(self) -> bool:
        threshold = settings.DELIVERY_COUNTER_OUTAGE_FAILURES
        if threshold <= 0:
            return False
        oldest_counted = time.monotonic() - settings.DELIVERY_COUNTER_OUTAGE_WINDOW
        while self._failures and self._failures[0] < oldest_counted:
            self._failures.popleft()
        return len(self._failures) >= threshold


COUNTER_SLOTS = CounterSlots()


class CounterAttempt:
    """A slot held for the duration of a `with counter_attempt()` block: `inline` says whether
    the counter may try; `result` is set to what the attempt came to."""

    def __init__(self, inline: bool) -> None:
        self.inline = inline
        self.result: Result | None = None


@contextmanager
def counter_attempt() -> Iterator[CounterAttempt]:
    attempt = CounterAttempt(COUNTER_SLOTS.take())
    try:
        yield attempt
    finally:
        if attempt.inline:
            COUNTER_SLOTS.give_back(result=attempt.result)
