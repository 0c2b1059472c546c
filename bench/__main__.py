"""Run the benchmarks: ``python -m bench [--only NAME] [--claims N]``.

Without ``--claims`` each benchmark runs its own default number of claims. Each
result is printed and written to ``bench/results/<name>.json``. The exit status is
non-zero only when a benchmark hit errors (lost claims, unexpected answers), not when
it missed its target.
"""

import argparse
import sys
import time
from collections.abc import Callable

from bench import (
    barcode_decode,
    catalog_import,
    catalog_search,
    claim_cpu,
    decode_attack,
    desk,
    drain_rate,
    harness,
    load,
    offline_replay,
    page_weight,
    photos,
    risk_fanout,
    risk_hashes,
    risk_submit,
    submit_overhead,
)

MODULES = (
    submit_overhead,
    drain_rate,
    desk,
    photos,
    page_weight,
    offline_replay,
    catalog_import,
    catalog_search,
    barcode_decode,
    risk_hashes,
    risk_submit,
    risk_fanout,
    claim_cpu,
    decode_attack,
    load,
)
BENCHMARKS: dict[str, Callable[..., harness.BenchResult]] = {
    module.NAME: module.run for module in MODULES
}
DEFAULT_CLAIMS: dict[str, int] = {module.NAME: module.DEFAULT_CLAIMS for module in MODULES}


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks; returns the process exit status."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(BENCHMARKS), help="run just this benchmark")
    defaults = ", ".join(f"{name} {count}" for name, count in DEFAULT_CLAIMS.items())
    parser.add_argument(
        "--claims",
        type=positive_int,
        help=f"claims per benchmark (default: each its own: {defaults})",
    )
    args = parser.parse_args(argv)

    names = [args.only] if args.only else list(BENCHMARKS)
    failed = False
    harness.setup_django()
    try:
        for name in names:
            started = time.perf_counter()
            claims = args.claims or DEFAULT_CLAIMS[name]
            result = BENCHMARKS[name](claims=claims)
            harness.print_result(result)
            path = harness.write_result(result)
            print(f"  ({time.perf_counter() - started:.1f} s; written to {path})")
            failed = failed or bool(result.errors)
    finally:
        harness.teardown_django()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
