"""Slots for work a process does at most so many at once, shared by its threads."""

import threading

_lock = threading.Lock()
_semaphores: dict[tuple[str, int], threading.BoundedSemaphore] = {}


def process_slots(name: str, limit: int) -> threading.BoundedSemaphore | None:
    """This process's `limit` slots for the work called `name`; None for a limit of 0 or
    less (no limit). Kept per limit too: a changed setting gets slots of its own."""
    if limit <= 0:
        return None
    with _lock:
        return _semaphores.setdefault((name, limit), threading.BoundedSemaphore(limit))
