"""A local, strict fake of OrderProtection's offline-claim API, for tests and demos."""

from sandbox.faults import FAULT_MODES, FaultPlan
from sandbox.oauth import DEFAULT_OAUTH_CLIENTS
from sandbox.server import ReceivedRequest, SandboxServer

__all__ = ["DEFAULT_OAUTH_CLIENTS", "FAULT_MODES", "FaultPlan", "ReceivedRequest", "SandboxServer"]
