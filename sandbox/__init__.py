"""A local, strict fake of OrderProtection's offline-claim API, for tests and demos."""

from sandbox.faults import FAULT_MODES, FaultPlan
from sandbox.server import ReceivedRequest, SandboxServer

__all__ = ["FAULT_MODES", "FaultPlan", "ReceivedRequest", "SandboxServer"]
