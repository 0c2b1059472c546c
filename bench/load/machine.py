"""Where the machine's CPU went while the tablets ran: every process, grouped by its part.

Read from /proc before and after: each process's user + system time, named by the process
this run started it as (its own name, or its parent's for gunicorn's workers and the
front's nginx), else by its program (PostgreSQL's backends, Locust), and the machine's
busy and idle time from /proc/stat. A process that ended in between is counted through
the parent that waited for it (its children's counters): PostgreSQL's postmaster for a
backend closed when its connection was recycled (CONN_MAX_AGE), this process for Locust
and py-spy.
"""

import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
# Programs not started by name (the cluster's backends, Locust's processes), by their
# command line.
BY_PROGRAM = (
    ("postgres", "postgres"),
    ("locust", "tablets (Locust)"),
    ("redis-server", "redis"),
    ("nginx", "front"),
)


@dataclass
class Snapshot:
    # PID → (part, CPU seconds of the process and of its children that ended, parent PID)
    by_pid: dict[int, tuple[str, float, int]]
    busy: float
    idle: float


def snapshot(named: dict[int, str]) -> Snapshot:
    """CPU seconds so far of every process, and the machine's; ``named``: PID → part."""
    by_pid = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        pid, parent = int(entry.name), int(fields[1])
        part = named.get(pid) or named.get(parent) or _by_program(cmdline)
        own, children = sum(map(int, fields[11:13])), sum(map(int, fields[13:15]))
        if pid == os.getpid():  # its children are the tablets', counted apart below
            children = 0
        by_pid[pid] = (part, (own + children) / TICKS, parent)
    # The bench's own children once they have ended (Locust, py-spy): their time is added
    # to this process's "children" counters when it waits for them.
    own = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    by_pid[-1] = ("tablets (Locust) and py-spy", (int(own[13]) + int(own[14])) / TICKS, 0)
    cpu = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = (cpu[3] + cpu[4]) / TICKS  # idle + iowait
    return Snapshot(by_pid=by_pid, busy=sum(cpu[:8]) / TICKS - idle, idle=idle)


def _by_program(cmdline: str) -> str:
    for marker, part in BY_PROGRAM:
        if marker in cmdline:
            return part
    return "other"


def spent(before: Snapshot, after: Snapshot) -> dict:
    """CPU seconds by part between two snapshots, with the machine's busy and idle time."""
    parts: dict[str, float] = {}
    for pid, (part, used, _parent) in after.by_pid.items():
        earlier = before.by_pid.get(pid)
        used -= earlier[1] if earlier and earlier[0] == part else 0.0
        parts[part] = parts.get(part, 0.0) + used
    for pid, (part, used, parent) in before.by_pid.items():
        if pid not in after.by_pid and parent in after.by_pid:
            # Ended, and its whole time is now in its parent's children counters: the part
            # of it spent before the first snapshot is not this interval's.
            parts[part] = parts.get(part, 0.0) - used
    parts = {part: used for part, used in parts.items() if used > 0}
    return {
        "busy": after.busy - before.busy,
        "idle": after.idle - before.idle,
        "parts": dict(sorted(parts.items(), key=lambda item: -item[1])),
    }


def describe(cpu: dict, seconds: float) -> str:
    """One line: the busy share of the machine, then each part's share of its cores."""
    cores = os.cpu_count() or 1
    busy = cpu["busy"] / (cpu["busy"] + cpu["idle"]) if cpu["busy"] + cpu["idle"] else 0.0
    shares = ", ".join(
        f"{part} {used / seconds:.2f}" for part, used in cpu["parts"].items() if used >= 0.5
    )
    return f"{busy:.0%} of {cores} cores busy; cores used: {shares}"
