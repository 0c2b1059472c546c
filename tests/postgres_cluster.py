"""A throwaway PostgreSQL cluster under /tmp, on a free port, for the tests and benchmarks.

    with PostgresCluster() as cluster:
        os.environ["DATABASE_URL"] = cluster.url  # postgres://postgres@127.0.0.1:PORT/postgres

From the shell, run a command against a fresh cluster, which is removed afterwards:

    python -m tests.postgres_cluster -- python -m pytest -x

The command gets ``DATABASE_URL`` pointing at the cluster; the settings read it, so
pytest-django creates its ``test_postgres`` database there. The server binaries are
looked up in ``PG_BINDIR``, then ``/usr/lib/postgresql/<newest>/bin`` (Debian), then
``PATH``. As root, the cluster runs as the ``postgres`` user, which owns its directory.
"""

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DIRECTORY_PREFIX = "claims-portal-pg-"
SUPERUSER = "postgres"
# Nothing here needs to survive a crash: trade durability for speed.
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    # TCP only: a socket path under a long TMPDIR can exceed the 107-byte limit.
    "unix_socket_directories": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
PORT_ATTEMPTS = 3
INSTALL_HINT = (
    "`make test` installs it as root (apt-get install postgresql); "
    "or set PG_BINDIR to the directory holding initdb, postgres and pg_isready"
)


class PostgresClusterError(RuntimeError):
    """The cluster could not be created or started."""


def find_bindir() -> Path:
    """The directory holding ``initdb``, ``postgres`` and ``pg_isready``; raises if none does."""
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    debian = Path("/usr/lib/postgresql")
    versions = [p for p in debian.glob("*") if p.name.isdigit()] if debian.is_dir() else []
    candidates += [p / "bin" for p in sorted(versions, key=lambda p: int(p.name), reverse=True)]
    if on_path := shutil.which("initdb"):
        candidates.append(Path(on_path).parent)
    for bindir in candidates:
        if all((bindir / name).is_file() for name in ("initdb", "postgres", "pg_isready")):
            return bindir
    raise PostgresClusterError(f"PostgreSQL's server binaries were not found: {INSTALL_HINT}.")


class PostgresCluster:
    """One PostgreSQL server with a fresh data directory; ``start()``, then ``stop()``.

    ``url`` is the superuser's connection URL. ``stop()`` shuts the server down and
    deletes its directory; it is safe to call twice, and after a failed ``start()``.
    """

    def __init__(self, *, bindir: Path | None = None):
        self.bindir = bindir
        self.root: Path | None = None
        self.port: int | None = None
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise PostgresClusterError("the cluster is not running")
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    @property
    def log_path(self) -> Path:
        return self._root() / "server.log"

    def __enter__(self) -> "PostgresCluster":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> "PostgresCluster":
        """Create the cluster and start its server; returns once it accepts connections."""
        self.bindir = self.bindir or find_bindir()
        _remove_stale_directories()
        self.root = Path(tempfile.mkdtemp(prefix=f"{DIRECTORY_PREFIX}{os.getpid()}-"))
        try:
            if self._run_as:
                os.chown(self.root, self._run_as.pw_uid, self._run_as.pw_gid)
            self._initdb()
            if not any(self._start_server(port=_free_port()) for _ in range(PORT_ATTEMPTS)):
                raise PostgresClusterError(
                    f"no free port after {PORT_ATTEMPTS} attempts:\n{self._log_tail()}"
                )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Shut the server down (fast shutdown, then SIGKILL) and delete the cluster."""
        if self.process is not None:
            _terminate(self.process)
            self.process = None
        self.port = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    @property
    def _run_as(self) -> pwd.struct_passwd | None:
        """initdb refuses to run as root: as root, the cluster belongs to ``postgres``."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(SUPERUSER)
        except KeyError:
            raise PostgresClusterError(
                f"running as root, but there is no '{SUPERUSER}' user to own the cluster: "
                + INSTALL_HINT
            ) from None

    def _root(self) -> Path:
        if self.root is None:
            raise PostgresClusterError("the cluster has not been created")
        return self.root

    def _spawn(self, command: list[str], **kwargs) -> subprocess.Popen:
        user = self._run_as
        return subprocess.Popen(
            command,
            cwd=self._root(),  # the postgres user may not enter the caller's directory
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
            **kwargs,
        )

    def _initdb(self) -> None:
        command = [str(self.bindir / "initdb"), "--pgdata", str(self._root() / "data")]
        command += ["--username", SUPERUSER, "--auth", "trust", "--encoding", "UTF8"]
        command += ["--locale", "C.UTF-8", "--no-sync", "--no-instructions"]
        process = self._spawn(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output, _ = process.communicate(timeout=120)
        if process.returncode != 0:
            raise PostgresClusterError(f"initdb failed:\n{output.decode(errors='replace')}")

    def _start_server(self, *, port: int) -> bool:
        """Start the server on ``port``; False if it lost a race for the port."""
        command = [str(self.bindir / "postgres"), "-D", str(self._root() / "data")]
        command += ["-p", str(port)]
        for name, value in SERVER_SETTINGS.items():
            command += ["-c", f"{name}={value}"]
        with self.log_path.open("ab") as log:
            self.process = self._spawn(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Ctrl-C goes to the caller, which stops the server after its own clean-up.
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self.port = port
        give_up_at = time.monotonic() + START_TIMEOUT
        while not self._accepts_connections():
            if self.process.poll() is not None:
                self.process, self.port = None, None
                if "could not bind" in self._log_tail():
                    return False
                raise PostgresClusterError(f"PostgreSQL did not start:\n{self._log_tail()}")
            if time.monotonic() > give_up_at:
                raise PostgresClusterError(
                    f"PostgreSQL did not accept connections within {START_TIMEOUT:.0f} s:\n"
                    f"{self._log_tail()}"
                )
            time.sleep(0.05)
        return True

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def _accepts_connections(self) -> bool:
        command = [str(self.bindir / "pg_isready"), "--quiet", "--timeout", "2"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--username", SUPERUSER]
        return subprocess.run(command, check=False).returncode == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    """In the server's process: if the process that started it dies, shut down (fast)."""
    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGINT)


def _terminate(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # "fast" shutdown: disconnects clients
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _remove_stale_directories() -> None:
    """Delete the clusters of runs that were killed before they could clean up."""
    for directory in Path(tempfile.gettempdir()).glob(f"{DIRECTORY_PREFIX}*-*"):
        owner = directory.name.removeprefix(DIRECTORY_PREFIX).split("-")[0]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(directory, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process
    return True


def main(argv: list[str]) -> int:
    """``python -m tests.postgres_cluster -- COMMAND...``: run COMMAND against a new cluster."""
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        cluster = PostgresCluster().start()
    except PostgresClusterError as error:
        print(f"postgres_cluster: {error}", file=sys.stderr)
        return 1
    try:
        print(f"PostgreSQL at {cluster.url} (in {cluster.root})", file=sys.stderr, flush=True)
        command = subprocess.Popen(argv, env=os.environ | {"DATABASE_URL": cluster.url})
        signal.signal(signal.SIGTERM, lambda *_: command.terminate())
        while True:
            try:
                returncode = command.wait()
                break
            except KeyboardInterrupt:
                pass  # the command got the Ctrl-C too: wait for it to clean up
        return returncode if returncode >= 0 else 128 - returncode
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
