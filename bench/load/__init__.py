"""The load benchmark: virtual store tablets (Locust) filing whole claims against the
production shape (gunicorn, PostgreSQL, the Redis task backend, real delivery workers, the
sandbox with API latency). See docs/load.md.

``python -m bench --only load`` runs the short default (50 tablets for 3 minutes; its
``--claims`` sets the number of tablets); ``python -m bench.load --help`` the longer runs.
"""

from bench import harness

NAME = "load"
DEFAULT_CLAIMS = 50  # virtual tablets, each filing claims back to back for DEFAULT_MINUTES
DEFAULT_MINUTES = 3.0


def run(*, claims: int = DEFAULT_CLAIMS) -> harness.BenchResult:
    from bench.load.run import LoadOptions, load_run

    return load_run(LoadOptions(tablets=claims, minutes=DEFAULT_MINUTES))
