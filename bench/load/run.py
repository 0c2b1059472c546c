"""One load run: the production shape started, Locust's virtual tablets let loose on it
for the given minutes (an API outage in the middle, a profile on the side if asked), the
claims drained and counted, and the figures reported against issue 21's targets."""

import json
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench import harness
from bench.load import machine, profile, report
from bench.load.inputs import POOL_SIZE, inputs
from bench.load.stack import REPO_ROOT, Shape, cpu_seconds, production_shape

ARTIFACTS = REPO_ROOT / "test-artifacts" / "load"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# What a claim request to the API takes: OrderProtection is not on this machine.
API_LATENCY_MS = 500
OUTAGE_STARTS_AFTER = 60  # seconds into the run
PROFILE_SECONDS = 60
# The processes this run starts, as the CPU breakdown names them.
PARTS = {"gunicorn": "app pool", "gunicorn-media": "media pool", "worker": "delivery workers"}
DRAIN_TIMEOUT = 600  # seconds after the tablets stop, for the queued claims to be filed


@dataclass(frozen=True)
class LoadOptions:
    tablets: int = 50
    minutes: float = 3.0
    outage: int = 0  # seconds of 503s from the API, starting OUTAGE_STARTS_AFTER in
    profile: bool = False
    api_latency_ms: int = API_LATENCY_MS
    claims_per_tablet: int = 0  # 0: as many as the minutes allow
    claims_per_unlock: int = 1  # the PIN is typed (and hashed) once per this many claims
    # The phone's own files, as a form posted without script sends them, instead of what
    # the tablet's script makes of them.
    full_size_photos: bool = False
    photo_pool: int = POOL_SIZE  # different photos of each kind, taken in turn
    think_seconds: float = 1.0
    # For the test: the test's own database, no collectstatic, files under its tmp_path.
    database_url: str | None = None
    static_files: bool = True
    out_dir: Path | None = None

    @property
    def label(self) -> str:
        label = f"t{self.tablets}-m{self.minutes:g}"
        label += f"-u{self.claims_per_unlock}" if self.claims_per_unlock != 1 else ""
        label += "-full" if self.full_size_photos else ""
        return label + (f"-outage{self.outage}" if self.outage else "")

    @property
    def command(self) -> str:
        words = ["python -m bench.load", f"--tablets {self.tablets}", f"--minutes {self.minutes:g}"]
        words += [f"--outage {self.outage}"] if self.outage else []
        words += ["--profile"] if self.profile else []
        if self.claims_per_unlock != 1:
            words += [f"--claims-per-unlock {self.claims_per_unlock}"]
        words += ["--full-size-photos"] if self.full_size_photos else []
        return " ".join(words)


def load_run(options: LoadOptions) -> harness.BenchResult:
    """Run the load as ``options`` say; returns the figures and the verdict."""
    out = options.out_dir or ARTIFACTS / options.label
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    photos = inputs(
        ARTIFACTS / "inputs",
        full_size_photos=options.full_size_photos,
        pool_size=options.photo_pool,
    )
    with production_shape(
        run_dir=out / "run",
        tablets=options.tablets,
        api_latency_ms=options.api_latency_ms,
        database_url=options.database_url,
        static_files=options.static_files,
    ) as shape:
        return _drive(shape, options, out, photos)


def _drive(shape: Shape, options: LoadOptions, out: Path, photos: dict[str, Path]):
    seconds = max(10, round(options.minutes * 60))
    csv_prefix, log_path = out / "locust", out / "requests.jsonl"
    env = shape.env | {k: str(v) for k, v in photos.items()}
    env |= {
        "LOAD_TABLETS": str(shape.tablets_file),
        "LOAD_REQUEST_LOG": str(log_path),
        "LOAD_CLAIMS_PER_TABLET": str(options.claims_per_tablet),
        "LOAD_CLAIMS_PER_UNLOCK": str(options.claims_per_unlock),
        "LOAD_THINK_SECONDS": str(options.think_seconds),
    }
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
    argv += ["--users", str(options.tablets), "--spawn-rate", str(max(1, options.tablets // 10))]
    argv += ["--run-time", f"{seconds}s", "--host", shape.portal_url, "--csv", str(csv_prefix)]
    argv += ["--only-summary", "--stop-timeout", "120", "--loglevel", "WARNING"]
    pids = shape.web_worker_pids() + shape.worker_pids()
    cpu_before = cpu_seconds(pids)
    named = {process.pid: _part(name) for name, process in shape.processes.started}
    machine_before = machine.snapshot(named)
    started = time.time()
    with (out / "locust.log").open("wb") as locust_log:
        locust = subprocess.Popen(
            argv, cwd=REPO_ROOT, env=env, stdout=locust_log, stderr=subprocess.STDOUT
        )
    events: dict[str, float] = {}
    side = []
    if options.outage:
        side.append(threading.Thread(target=_outage, args=(shape, options, started, events)))
    if options.profile:
        side.append(threading.Thread(target=_profile, args=(shape, out, events)))
    for thread in side:
        thread.start()
    try:
        locust.wait(timeout=seconds + 300)
    finally:
        if locust.poll() is None:
            locust.kill()
            locust.wait()
        for thread in side:
            thread.join()
    ran_for = time.time() - started
    machine_cpu = machine.spent(machine_before, machine.snapshot(named))
    counts, drained_after = _drain(shape, out)
    cpu_after = cpu_seconds(pids)
    cpu_used = sum(cpu_after.get(pid, 0) - cpu_before.get(pid, 0) for pid in pids)
    return _result(
        shape, options, out, events, counts, ran_for, drained_after, cpu_used, machine_cpu
    )


def _part(name: str) -> str:
    return PARTS.get(name) or PARTS.get(name.rstrip("-0123456789"), name)


def _outage(shape: Shape, options: LoadOptions, started: float, events: dict) -> None:
    time.sleep(max(0.0, started + OUTAGE_STARTS_AFTER - time.time()))
    shape.sandbox_faults({"latency_ms": options.api_latency_ms, "mode": "error_503"})
    events["outage_start"] = time.time()
    time.sleep(options.outage)
    shape.sandbox_faults({"latency_ms": options.api_latency_ms})
    events["outage_end"] = time.time()


def _profile(shape: Shape, out: Path, events: dict) -> None:
    time.sleep(15)  # the tablets have ramped up
    targets = {
        "gunicorn-worker": shape.web_worker_pids()[0],
        "delivery-worker": shape.worker_pids()[0],
    }
    spies = {}
    for name, pid in targets.items():
        spies[name] = profile.record(
            pid=pid, seconds=PROFILE_SECONDS, output=out / f"profile-{name}.folded"
        )
    summaries = []
    for name, spy in spies.items():
        spy.wait(timeout=PROFILE_SECONDS + 60)
        folded = out / f"profile-{name}.folded"
        summary = profile.summarise(folded) if folded.exists() else "py-spy wrote nothing"
        header = f"py-spy on {name} {targets[name]} for {PROFILE_SECONDS} s ({folded.name})"
        summaries.append(f"{header}\n{summary}\n")
    (out / "profile-summary.txt").write_text("\n".join(summaries))
    events["profiled"] = 1


def _counts(shape: Shape, out: Path) -> dict:
    path = out / "counts.json"
    harness.manage(shape.env, "-m", "bench.load.seed", "count", "--out", str(path))
    return json.loads(path.read_text())


def _drain(shape: Shape, out: Path) -> tuple[dict, float]:
    """Wait until no claim is queued or on its way; returns the counts and how long it took."""
    started = time.monotonic()
    while True:
        counts = _counts(shape, out)
        waiting = sum(
            row["count"]
            for row in counts["by_status"]
            if row["status"] in ("queued", "sending", "outcome_unknown")
        )
        if not waiting or time.monotonic() - started > DRAIN_TIMEOUT:
            return counts, time.monotonic() - started
        time.sleep(5)


def _result(shape, options, out, events, counts, ran_for, drained_after, cpu_used, machine_cpu):
    stats = report.locust_stats(out / "locust")
    failures = report.locust_failures(out / "locust")
    entries = report.request_log(out / "requests.jsonl")
    submitted = sum(1 for e in entries if e["kind"] == "submit" and e["ok"])
    check = report.claim_check(
        counts=counts,
        sandbox_claims=shape.sandbox_get("/__sandbox__/claims"),
        sandbox_keys=shape.sandbox_get("/__sandbox__/claim-keys"),
        submitted=submitted,
    )
    errors_total = sum(s.failures for s in stats.values())
    save_p95, saves = report.p95_of([e for e in entries if e["ok"]], report.STEP_SAVE_KINDS)
    photo = stats.get("photo upload")
    rows = [("command", options.command), ("web tier", shape.topology)]
    rows.append(("API latency per claim", f"{options.api_latency_ms} ms (sandbox FaultPlan)"))
    rows.append(("kind: requests / failures", "p50 / p95 / max ms"))
    for kind in report.SHOWN_KINDS:
        if kind in stats:
            s = stats[kind]
            rows.append(
                (
                    f"  {kind}: {s.requests} / {s.failures}",
                    f"{s.p50_ms:.0f} / {s.p95_ms:.0f} / {s.max_ms:.0f}",
                )
            )
    rows.append(("step saves (autosave + next) p95", _ms(save_p95) + f" ({saves} saves)"))
    minutes = ran_for / 60
    rows.append(("claims submitted / filed", f"{check.submitted} / {check.filed}"))
    rows.append(("claims per minute (submitted)", f"{check.submitted / minutes:.1f}"))
    rows.append(("at the sandbox / duplicates", f"{check.at_sandbox} / {check.duplicates}"))
    rows.append(
        (
            "lost / rejected / needs attention",
            f"{check.lost} / {check.rejected} / {sum(check.needs_attention.values())}",
        )
    )
    rows.append(("queue drained after the tablets stopped", f"{drained_after:.0f} s"))
    per_claim = cpu_used / check.filed if check.filed else 0.0
    rows.append(
        (
            "CPU-seconds per filed claim",
            f"{per_claim:.2f} (gunicorn workers + delivery workers: {cpu_used:.0f} s)",
        )
    )
    rows.append(("CPU while the tablets ran", machine.describe(machine_cpu, ran_for)))
    data = {
        "options": options.__dict__,
        "command": options.command,
        "topology": shape.topology,
        "kinds": {kind: s.__dict__ for kind, s in stats.items()},
        "step_save_p95_ms": save_p95,
        "claims": check.__dict__ | {"lost": check.lost, "rejected": check.rejected},
        "claims_per_minute": check.submitted / minutes,
        "cpu_seconds_per_claim": per_claim,
        "machine_cpu_seconds": machine_cpu,
        "drained_after_s": drained_after,
        "failures": failures,
    }
    if "outage_start" in events:
        start, end = events["outage_start"], events.get("outage_end", time.time())
        ok = [e for e in entries if e["ok"]]
        during, n = report.p95_of(ok, report.STEP_SAVE_KINDS, start, end)
        rows.append(
            (f"step save p95 during the {options.outage} s outage", _ms(during) + f" ({n} saves)")
        )
        page, n = report.p95_of(ok, ("step page",), start, end)
        rows.append(("step page p95 during the outage", _ms(page) + f" ({n} pages)"))
        submit, n = report.p95_of(ok, ("submit",), start, end)
        rows.append(("submit p95 during the outage", _ms(submit) + f" ({n} submits)"))
        data["outage"] = {
            "step_save_p95_ms": during,
            "step_page_p95_ms": page,
            "submit_p95_ms": submit,
        }
    if options.profile:
        rows.append(("profile", str(out / "profile-summary.txt")))
    rows.append(("artifacts", str(out)))

    errors = check.errors() + ([f"{errors_total} failed requests"] if errors_total else [])
    errors += failures[:10]
    misses = []
    timed = options.tablets == report.TIMED_AT_TABLETS
    if save_p95 is not None and save_p95 > report.STEP_SAVE_P95_MS:
        misses.append(f"step save p95 {save_p95:.0f} ms > {report.STEP_SAVE_P95_MS:.0f} ms")
    if photo is not None and photo.p95_ms > report.PHOTO_UPLOAD_P95_MS:
        misses.append(
            f"photo upload p95 {photo.p95_ms:.0f} ms > {report.PHOTO_UPLOAD_P95_MS:.0f} ms"
        )
    if check.still_queued:
        errors.append(f"{check.still_queued} claims still queued {DRAIN_TIMEOUT} s after the run")
    if errors:
        verdict = "FAIL: " + "; ".join(errors[:3])
    elif misses and (timed or "outage_start" in events):
        verdict = "FAIL: " + "; ".join(misses)
    else:
        verdict = "PASS: 0 errors, 0 lost, 0 duplicated, 0 rejected"
        if misses:
            verdict += (
                f" (timing targets apply at {report.TIMED_AT_TABLETS} tablets: "
                + "; ".join(misses)
                + ")"
            )
        elif timed:
            verdict += ", step save and photo upload p95 within target"
    data["verdict_misses"] = misses
    return harness.BenchResult(
        name=f"load-{options.label}", rows=rows, data=data, verdict=verdict, errors=errors
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"
