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

    ``after_filing`` moves the fault after the claim is validated and filed (and its
    answer stored under its ``Idempotency-Key``), to model an unknown outcome: the
    claim exists but its answer is lost. The error modes and ``malformed_json`` then
    replace the success answer, ``hang`` and ``drop`` send nothing. Such a plan only
    touches (and only counts against ``times``) requests that filed a claim: rejected
    requests and idempotent replays are answered normally. Latency still comes first.

    ``mix`` replaces ``mode`` with a mixture: each faulted request gets one entry drawn
    at random, e.g. ``("error_503", "drop", "drop@after_filing")``; an entry ending in
    ``@after_filing`` applies after filing, as above, to a request that filed a claim.

    Raises ``ValueError`` on an unknown mode or an out-of-range value.
    """

    latency_ms: int = 0
    mode: str = "none"
    retry_after: int | None = None
    times: int | None = None
    probability: float = 1.0
    seed: int | None = None
    hang_seconds: float = 30.0
    after_filing: bool = False
    mix: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "mix", tuple(self.mix))
        for entry in self.mix:
            mode, _, point = entry.partition("@")
            if mode not in FAULT_MODES or mode == "none" or point not in ("", "after_filing"):
                raise ValueError(f"unknown fault mix entry {entry!r}")
        if self.mix and (self.mode != "none" or self.after_filing):
            raise ValueError("give either mode (with after_filing) or mix, not both")
        if self.mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {self.mode!r}; expected one of {FAULT_MODES}")
        _require_int("latency_ms", self.latency_ms, minimum=0)
        _require_int("retry_after", self.retry_after, minimum=0, optional=True)
        _require_int("times", self.times, minimum=0, optional=True)
        _require_int("seed", self.seed, optional=True)
        _require_number("probability", self.probability, minimum=0.0, maximum=1.0)
        _require_number("hang_seconds", self.hang_seconds, minimum=0.0)
        if not isinstance(self.after_filing, bool):
            raise ValueError("after_filing must be true or false")

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
        data = dataclasses.asdict(self)
        data["mix"] = list(self.mix)
        return data


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
        # A mix entry drawn for after filing waits here for its request's second look.
        self._pending = threading.local()

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

    def next_mode(self, *, after_filing: bool = False) -> str:
        """Consume one claim request from the plan and return the mode to apply to it.

        ``after_filing`` says which point of a claim request asks: a plan only applies
        (and is only consumed) at the point its own ``after_filing`` names.
        """
        with self._lock:
            plan = self._plan
            if plan.mix:
                return self._next_mixed(plan, after_filing=after_filing)
            if plan.mode == "none" or plan.after_filing != after_filing:
                return "none"
            return plan.mode if self._take_fault(plan) else "none"

    def _next_mixed(self, plan: FaultPlan, *, after_filing: bool) -> str:
        """Draw once per request (at its first look); an after-filing entry waits for the second."""
        if after_filing:
            mode, self._pending.mode = getattr(self._pending, "mode", "none"), "none"
            return mode
        self._pending.mode = "none"
        if not self._take_fault(plan):
            return "none"
        mode, _, point = self._rng.choice(plan.mix).partition("@")
        if point:
            self._pending.mode = mode
            return "none"
        return mode

    def _take_fault(self, plan: FaultPlan) -> bool:
        """Use up one of the plan's ``times`` and draw against its ``probability``."""
        if self._remaining is not None:
            if self._remaining <= 0:
                return False
            self._remaining -= 1
        return plan.probability >= 1.0 or self._rng.random() < plan.probability
