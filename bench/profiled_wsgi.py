"""The portal's WSGI application under cProfile, for `bench/claim_cpu.py`'s profile of a claim.

Served by gunicorn with one worker and one thread (cProfile follows one thread): every
request runs under the same profiler, whose totals are written to BENCH_PROFILE_FILE
after each request, outside the profiled time. Never used outside the benchmark.
"""

import cProfile
import os

from claims_portal.wsgi import application as portal

_profiler = cProfile.Profile()


def application(environ, start_response):
    _profiler.enable()
    try:
        response = portal(environ, start_response)
        try:
            body = b"".join(response)
        finally:
            response.close()  # request_finished: the database connection's end of request
    finally:
        _profiler.disable()
    _profiler.dump_stats(os.environ["BENCH_PROFILE_FILE"])
    return [body]
