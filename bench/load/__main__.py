"""``python -m bench.load --tablets 50 --minutes 10 [--outage 120] [--profile]``.

Prints the figures and the verdict and writes ``bench/results/load-<label>.json``; the
run's own files (Locust's CSVs, every request, the profile, the servers' logs) go to
``test-artifacts/load/<label>/``. Exits non-zero on errors (failed requests, claims lost,
duplicated, rejected or left waiting), not on a missed timing target.
"""

import argparse
import sys

from bench import harness
from bench.load.run import API_LATENCY_MS, LoadOptions, load_run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--tablets", type=int, default=50, help="virtual tablets (default 50)")
    parser.add_argument("--minutes", type=float, default=3.0, help="how long they file claims")
    parser.add_argument(
        "--outage",
        type=int,
        default=0,
        metavar="SECONDS",
        help="the API answers 503 to every claim for SECONDS, starting a minute in",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy on one gunicorn worker for 60 s; summary in test-artifacts/load/",
    )
    parser.add_argument(
        "--api-latency-ms",
        type=int,
        default=API_LATENCY_MS,
        help=f"the sandbox's delay on every claim request (default {API_LATENCY_MS})",
    )
    parser.add_argument(
        "--claims-per-tablet",
        type=int,
        default=0,
        help="stop each tablet after this many claims (default: file until the time is up)",
    )
    parser.add_argument(
        "--claims-per-unlock",
        type=int,
        default=1,
        help="claims an associate files per PIN unlock (default 1: unlock, file, lock)",
    )
    parser.add_argument(
        "--full-size-photos",
        action="store_true",
        help="upload the 12 MP phone files as they are (a form posted without script), "
        "not the 2048 px JPEGs the tablet's script makes of them",
    )
    args = parser.parse_args(argv)
    options = LoadOptions(
        tablets=args.tablets,
        minutes=args.minutes,
        outage=args.outage,
        profile=args.profile,
        api_latency_ms=args.api_latency_ms,
        claims_per_tablet=args.claims_per_tablet,
        claims_per_unlock=args.claims_per_unlock,
        full_size_photos=args.full_size_photos,
    )
    result = load_run(options)
    harness.print_result(result)
    print(f"  (written to {harness.write_result(result)})")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
