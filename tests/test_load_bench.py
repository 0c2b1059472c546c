"""The load benchmark's harness (bench/load/) files claims end to end, so that it cannot rot.

Two virtual tablets (Locust, headless) file one whole claim each against the production
shape: gunicorn with DEBUG off, the Redis task backend, two real delivery workers, the
sandbox as its own process fetching the photos over HTTP. No timing is asserted: the
figures are the benchmark's (`python -m bench.load`, docs/load.md).
"""

import pytest
from django.db import connection

from bench.load.run import LoadOptions, load_run
from tests.workers import database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_load_harness_files_each_tablets_claim_once(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the production shape runs on PostgreSQL: `make test`'s PostgreSQL pass")
    options = LoadOptions(
        tablets=2,
        minutes=1.5,
        claims_per_tablet=1,
        photo_pool=2,
        think_seconds=0.05,
        api_latency_ms=50,
        database_url=database_url(),
        static_files=False,
        out_dir=tmp_path / "load",
    )

    result = load_run(options)

    assert result.errors == []
    claims = result.data["claims"]
    assert (claims["submitted"], claims["filed"], claims["at_sandbox"]) == (2, 2, 2)
    assert (claims["duplicates"], claims["lost"], claims["rejected"]) == (0, 0, 0)
    kinds = result.data["kinds"]
    assert kinds["photo upload"]["requests"] == 4
    assert kinds["submit"]["failures"] == 0
    assert result.verdict.startswith("PASS")
