"""Where a gunicorn worker's time goes under load: py-spy on one worker, summarised.

py-spy samples the worker's threads 100 times a second (on CPU only: a thread waiting on
a socket or a lock is not counted) for ``seconds``, and writes the stacks in the
collapsed ("folded") form flamegraph.pl and speedscope read. ``summarise`` turns them
into two tables: the functions the samples were in (self), and the share of samples
whose stack passes through each area of the code (inclusive).
"""

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

# Areas of the code, matched in order against each frame ("function (module)"); a sample
# counts once per area its stack passes through.
AREAS = (
    ("PIN check (password hasher)", ("hashers.py", "pbkdf2")),
    ("photo decode/resize (Pillow)", ("PIL/",)),
    ("templates", ("django/template/", "template/")),
    ("database (psycopg, ORM)", ("psycopg", "django/db/")),
    ("multipart parsing", ("multipartparser",)),
    ("sessions and auth", ("sessions/", "contrib/auth/", "axes/")),
    ("static files (WhiteNoise)", ("whitenoise",)),
    ("the portal's code (kiosk/)", ("kiosk/",)),
    ("HTTP to the API (requests/urllib3)", ("requests/", "urllib3/")),
)


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return found


def record(*, pid: int, seconds: int, output: Path) -> subprocess.Popen:
    """Start py-spy on ``pid`` for ``seconds``; returns the running py-spy."""
    argv = [py_spy(), "record", "--pid", str(pid), "--duration", str(seconds)]
    argv += ["--format", "raw", "--nolineno", "--output", str(output), "--nonblocking"]
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
        for area, needles in AREAS:
            if any(needle in frame for frame in frames for needle in needles):
                areas[area] += count
    if not total:
        return "py-spy took no samples (the worker was idle, or py-spy could not attach)."
    lines = [f"{total} samples on CPU ({total / 100:.0f} s of one core at 100 Hz)", ""]
    lines.append("Share of samples whose stack passes through (inclusive; areas overlap):")
    for area, count in areas.most_common():
        lines.append(f"  {100 * count / total:5.1f}%  {area}")
    lines += ["", f"Top {top} functions the samples were in (self):"]
    for frame, count in own.most_common(top):
        lines.append(f"  {100 * count / total:5.1f}%  {frame}")
    return "\n".join(lines)
