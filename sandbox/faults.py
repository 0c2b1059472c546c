"""Fault injection for the sandbox: what to do to the next claim request."""

from __future__ import annotations

import dataclasses
import random
import threading
from dataclasses import dataclass
from typing import Any

FAULT_MODES: tuple[str, ...] = (
    "none",
    "error_500",
    "error_502",
    "error_503",
    "rate_limit_429",
    "hang",
    "drop",
    "malformed_json",
)

# Status code answered by the modes that answer with a JSON error body.
ERROR_MODE_STATUS: dict[str, int] = {
    "error_500": 500,
    "error_502": 502,
    "error_503": 503,
    "rate_limit_429": 429,
}


@dataclass(frozen=True)
class FaultPlan:
    """How the sandbox misbehaves on ``POST /v1/claims/offline``.

    ``latency_ms`` delays every claim request, faulted or not. ``mode`` is applied to
    the next ``times`` claim requests (``None``: to all of them), each one faulted with
    ``probability`` (drawn from ``random.Random(seed)``). ``retry_after`` is sent as
    the ``Retry-After`` header of ``rate_limit_429`` answers; ``hang_seconds`` is how
    long ``hang`` keeps the connection open before closing it without an answer.

    Raises ``ValueError`` on an unknown mode or an out-of-range value.
    """

    latency_ms: int = 0
    mode: str = "none"
    retry_after: int | None = None
    times: int | None = None
    probability: float = 1.0
    seed: int | None = None
    hang_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {self.mode!r}; expected one of {FAULT_MODES}")
        _require_int("latency_ms", self.latency_ms, minimum=0)
        _require_int("retry_after", self.retry_after, minimum=0, optional=True)
        _require_int("times", self.times, minimum=0, optional=True)
        _require_int("seed", self.seed, optional=True)
        _require_number("probability", self.probability, minimum=0.0, maximum=1.0)
        _require_number("hang_seconds", self.hang_seconds, minimum=0.0)

    @classmethod
    def from_dict(cls, data: Any) -> FaultPlan:
        """Build a plan from decoded JSON; raises ``ValueError`` on unknown keys or bad values."""
        if not isinstance(data, dict):
            raise ValueError("a fault plan must be a JSON object")
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault plan keys: {', '.join(unknown)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The plan as a JSON-ready dict (the shape ``from_dict`` accepts)."""
        return dataclasses.asdict(self)


def _require_int(
    name: str, value: Any, *, minimum: int | None = None, optional: bool = False
) -> None:
    if value is None and optional:
        return
    # bool is an int subclass, but `"times": true` is a mistake, not a count.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}")


def _require_number(name: str, value: Any, *, minimum: float, maximum: float | None = None) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{name} must be a number")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and <= {maximum}" if maximum is not None else ""
        raise ValueError(f"{name} must be >= {minimum}{upper}")


class FaultState:
    """The current plan plus what it has used up (remaining ``times``, random draws).

    Thread-safe: handler threads call ``next_mode()`` concurrently.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plan = FaultPlan()
        self._remaining: int | None = None
        self._rng = random.Random()

    @property
    def plan(self) -> FaultPlan:
        """The plan in force."""
        with self._lock:
            return self._plan

    def set(self, plan: FaultPlan) -> None:
        """Replace the plan; its ``times`` budget and random sequence start afresh."""
        with self._lock:
            self._plan = plan
            self._remaining = plan.times
            self._rng = random.Random(plan.seed)

    def next_mode(self) -> str:
        """Consume one claim request from the plan and return the mode to apply to it."""
        with self._lock:
            plan = self._plan
            if plan.mode == "none":
                return "none"
            if self._remaining is not None:
                if self._remaining <= 0:
                    return "none"
                self._remaining -= 1
            if plan.probability < 1.0 and self._rng.random() >= plan.probability:
                return "none"
            return plan.mode
