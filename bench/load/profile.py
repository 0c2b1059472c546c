"""Where a process's time goes under load: py-spy on one gunicorn or delivery worker.

py-spy samples the process's threads 100 times a second for ``seconds``, only the thread
holding the GIL (``--gil``: Python's own CPU time; a thread waiting on PostgreSQL, a socket
or a lock is not counted, though psycopg's waits count as on CPU without it), and writes
the stacks in the collapsed ("folded") form flamegraph.pl and speedscope read.
``summarise`` turns them into two tables: the functions the samples were in (self), and
the share of samples whose stack passes through each area of the code (inclusive).
"""

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

# Work known by its caller: a sample whose stack passes through one goes to it, whatever
# it called (Pillow, the ORM).
CALLERS = (
    ("risk signals (photo hashes, matching; kiosk/risk/)", ("kiosk/risk/",)),
    ("PIN check (PBKDF2)", ("pin_hashing",)),
)
# Areas of the code: each sample goes to the area of the frame nearest its leaf that
# matches one (in this order, for a frame that matches several); the rest is "other".
AREAS = (
    ("PIN check (PBKDF2)", ("pbkdf2", "hashers.py")),
    ("photos (Pillow decode, resize, encode)", ("PIL/",)),
    ("calls to the API (requests, urllib3)", ("requests/", "urllib3/")),
    ("database (psycopg)", ("psycopg",)),
    ("ORM (building queries, models)", ("django/db/",)),
    ("templates", ("django/template/", "crispy_forms")),
    ("request bodies (multipart parsing, uploads)", ("multipartparser", "uploadhandler")),
    ("the portal's own code (kiosk/, claims_portal/)", ("kiosk/", "claims_portal/")),
    ("gunicorn, sockets", ("gunicorn/", "selectors.py", "socket.py", "ssl.py")),
    ("Django (middleware, sessions, auth, forms, urls)", ("django/",)),
)


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return found


def record(*, pid: int, seconds: int, output: Path) -> subprocess.Popen:
    """Start py-spy on ``pid`` for ``seconds``; returns the running py-spy."""
    argv = [py_spy(), "record", "--pid", str(pid), "--duration", str(seconds)]
    argv += ["--format", "raw", "--nolineno", "--output", str(output), "--nonblocking", "--gil"]
    log = output.with_suffix(".log").open("wb")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)


def summarise(folded: Path, *, top: int = 25) -> str:
    """A text summary of a folded-stacks file: top functions (self) and areas (inclusive)."""
    own: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    total = 0
    for line in folded.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        areas[_area(frames)] += count
    if not total:
        return "py-spy took no samples (the worker was idle, or py-spy could not attach)."
    lines = [f"{total} samples holding the GIL ({total / 100:.0f} s at 100 Hz)", ""]
    lines.append("Share of samples by area (the frame nearest the leaf that names one):")
    for area, count in areas.most_common():
        lines.append(f"  {100 * count / total:5.1f}%  {area}")
    lines += ["", f"Top {top} functions the samples were in (self):"]
    for frame, count in own.most_common(top):
        lines.append(f"  {100 * count / total:5.1f}%  {frame}")
    return "\n".join(lines)


def _area(frames: list[str]) -> str:
    for area, needles in CALLERS:
        if any(needle in frame for frame in frames for needle in needles):
            return area
    for frame in reversed(frames):
        for area, needles in AREAS:
            if any(needle in frame for needle in needles):
                return area
    return "other (the standard library, other packages)"
