"""``Idempotency-Key`` for the sandbox: per-key serialisation and the results replayed.

Semantics follow the IETF idempotency-key draft and Stripe: requests with the same key
run one at a time; only a request that filed a claim stores its answer under the key;
later requests with that key get the stored answer again, or 422 if their body differs.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Stripe's limit; longer keys are more likely a mistake (a whole body) than a key.
MAX_KEY_LENGTH = 255
# How often a request waiting for a key's lock checks whether the sandbox is stopping.
_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class StoredResult:
    """The answer a request that filed a claim got, kept under its key for replays."""

    fingerprint: str
    status: int
    body: bytes
    source_order_id: str


def request_fingerprint(body: Any) -> str:
    """A canonical form of a decoded JSON body: equal for bodies that differ only in key order."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a usable idempotency key, or ``None`` if it is."""
    if not key:
        return f"{IDEMPOTENCY_HEADER} must not be empty"
    if len(key) > MAX_KEY_LENGTH:
        return f"{IDEMPOTENCY_HEADER} must be at most {MAX_KEY_LENGTH} characters"
    return None


@dataclass
class _KeyLock:
    lock: threading.Lock
    users: int = 0


class IdempotencyStore:
    """Stored results by key, and one lock per key in use. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[str, StoredResult] = {}
        self._key_locks: dict[str, _KeyLock] = {}

    @contextmanager
    def hold(self, key: str, stopping: threading.Event) -> Iterator[bool]:
        """Hold ``key``'s lock for the block; yields ``False`` if ``stopping`` was set first.

        A request waiting here for another request with the same key gives up as soon
        as the sandbox stops, so ``stop()`` is never held up by it.
        """
        entry = self._enter(key)
        try:
            acquired = _acquire(entry.lock, stopping)
            try:
                yield acquired
            finally:
                if acquired:
                    entry.lock.release()
        finally:
            self._leave(key, entry)

    def get(self, key: str) -> StoredResult | None:
        """The result stored under ``key``, if any."""
        with self._lock:
            return self._results.get(key)

    def put(self, key: str, result: StoredResult) -> None:
        """Store ``result`` under ``key``."""
        with self._lock:
            self._results[key] = result

    def clear(self) -> None:
        """Forget every stored result (locks held by requests in flight stay valid)."""
        with self._lock:
            self._results.clear()

    def _enter(self, key: str) -> _KeyLock:
        with self._lock:
            entry = self._key_locks.setdefault(key, _KeyLock(threading.Lock()))
            entry.users += 1
            return entry

    def _leave(self, key: str, entry: _KeyLock) -> None:
        # The lock is dropped once no request uses the key, so keys do not pile up.
        with self._lock:
            entry.users -= 1
            if entry.users == 0:
                del self._key_locks[key]


def _acquire(lock: threading.Lock, stopping: threading.Event) -> bool:
    while not lock.acquire(timeout=_POLL_SECONDS):
        if stopping.is_set():
            return False
    return True
