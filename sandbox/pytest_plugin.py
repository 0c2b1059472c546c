"""pytest fixtures for the sandbox; enable with ``pytest_plugins = ["sandbox.pytest_plugin"]``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def sandbox_session() -> Iterator[SandboxServer]:
    """One sandbox for the whole session, on a free port, accepting ``sandbox-token``."""
    server = SandboxServer(port=0).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_session: SandboxServer) -> Iterator[SandboxServer]:
    """The session's sandbox with no received requests, claims, stored idempotent answers,
    faults or webhooks left over, ignoring ``Idempotency-Key`` as the real API documents
    no such key (issued OAuth tokens stay valid)."""
    sandbox_session.reset()
    yield sandbox_session
    sandbox_session.reset()


@pytest.fixture
def sandbox_honouring_keys(sandbox: SandboxServer) -> SandboxServer:
    """The sandbox, replaying the stored answer for a repeated ``Idempotency-Key``.

    Not what the real API documents: for tests of that option itself.
    """
    sandbox.honour_idempotency = True
    return sandbox
