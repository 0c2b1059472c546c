"""Measure photo-reuse search over 1,000,000 stored hashes on PostgreSQL (`python -m bench
--only risk_hashes` runs this in a process of its own).

A throwaway cluster gets ~20,000 submitted claims at 4 stores and, inserted by one SQL
statement, N receipt and item photos with random 64-bit perceptual hashes. Then each query
hash (half planted within RISK_PHOTO_DISTANCE of a stored one, half random) is searched with
`photos_alike`, as the scorer does, and the same searches are made by the baselines: every
hash compared in Python, every hash's distance counted as text in SQL, bit_count over every
row (photos_alike without its band filter), and photos_alike without the band indexes.
"""

import argparse
import random
import sys
import time
from pathlib import Path

from bench import harness

LOAD_SQL = """
WITH submitted AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM kiosk_claim WHERE submitted_at IS NOT NULL
)
INSERT INTO kiosk_claimattachment (
    claim_id, kind, file, thumbnail, content_type, width, height, size, sha256, created_at,
    typed, perceptual_hash
)
SELECT
    ids[1 + i %% cardinality(ids)],
    CASE WHEN i %% 2 = 0 THEN 'receipt' ELSE 'item' END,
    'claims/2026/05/' || md5(i::text) || '.jpg',
    'thumbnails/2026/05/' || md5(i::text) || '.jpg',
    'image/jpeg', 1600, 1200, 300000 + i %% 100000,
    encode(sha256(convert_to(i::text, 'UTF8')), 'hex'),
    now() - make_interval(secs => i),
    false,
    ('x' || substr(md5('phash' || i), 1, 16))::bit(64)::bigint
FROM submitted, generate_series(1, %s) AS i
"""
# The naive SQL baseline: the differing bits counted as the characters '1' of a bit string.
TEXT_COUNT_SQL = """
SELECT a.id, a.claim_id
FROM kiosk_claimattachment a JOIN kiosk_claim c ON c.id = a.claim_id
WHERE a.removed_at IS NULL AND a.perceptual_hash IS NOT NULL AND a.kind = ANY(%s)
  AND c.submitted_at IS NOT NULL AND a.claim_id <> %s
  AND length(replace(((a.perceptual_hash # %s)::bit(64))::text, '0', '')) <= %s
"""
KINDS = ["receipt", "item"]  # both: every stored hash is a candidate (the worst case)


def load(*, hashes: int, claims: int) -> dict:
    from django.db import connection

    from kiosk.demo.sample_data import claims_generate

    started = time.perf_counter()
    generated = claims_generate(count=claims, stores=4, progress=lambda line: None)
    with connection.cursor() as cursor:
        cursor.execute(LOAD_SQL, [hashes])
        # What autovacuum does to a table in use: statistics and the visibility map.
        cursor.execute("VACUUM ANALYZE kiosk_claimattachment")
        cursor.execute("VACUUM ANALYZE kiosk_claim")
        cursor.execute(
            "SELECT count(*), pg_size_pretty(pg_table_size('kiosk_claimattachment')) "
            "FROM kiosk_claimattachment WHERE perceptual_hash IS NOT NULL"
        )
        stored, table_size = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM kiosk_claim WHERE submitted_at IS NOT NULL")
        (submitted,) = cursor.fetchone()
    return {
        "claims": generated.claims,
        "submitted_claims": submitted,
        "stored_hashes": stored,
        "table_size": table_size,
        "load_seconds": round(time.perf_counter() - started, 1),
    }


def queries(count: int, *, max_distance: int, seed: int = 20) -> list[dict]:
    """Half planted near a stored hash (flipped in 0..max_distance bits), half random."""
    from kiosk.models import Claim, ClaimAttachment
    from kiosk.risk.distance import signed_64

    rng = random.Random(seed)
    claim_pks = list(Claim.objects.filter(submitted_at__isnull=False).values_list("pk", flat=True))
    highest = ClaimAttachment.objects.order_by("-pk").values_list("pk", flat=True).first()
    made = []
    for number in range(count):
        new_claim = rng.choice(claim_pks)
        if number % 2:
            made.append({"hash": signed_64(rng.getrandbits(64)), "claim": new_claim, "of": None})
            continue
        source = None
        while source is None or source.claim_id == new_claim:
            source = ClaimAttachment.objects.filter(pk=rng.randint(1, highest)).first()
        flipped = rng.sample(range(64), rng.randint(0, max_distance))
        value = source.perceptual_hash
        for bit in flipped:
            value ^= 1 << bit
        made.append({"hash": signed_64(value), "claim": new_claim, "of": source.pk})
    return made


def alike(query: dict, max_distance: int) -> list[tuple[int, int]]:
    """The scorer's query, evaluated: (attachment pk, distance) nearest first."""
    from kiosk.risk.photos import photos_alike

    found = photos_alike(
        perceptual_hash=query["hash"],
        kinds=KINDS,
        max_distance=max_distance,
        exclude_claim_pk=query["claim"],
    )
    return [(attachment.pk, attachment.distance) for attachment in found]


def scan_all(query: dict, max_distance: int) -> list[tuple[int, int]]:
    """photos_alike as it was without the band filter: bit_count over every stored hash."""
    return list(_scan_all_queryset(query, max_distance).values_list("pk", "distance"))


def _scan_all_queryset(query: dict, max_distance: int):
    from django.db.models import Value

    from kiosk.models import ClaimAttachment
    from kiosk.risk.distance import HammingDistance

    return (
        ClaimAttachment.objects.current()
        .filter(kind__in=KINDS, perceptual_hash__isnull=False, claim__submitted_at__isnull=False)
        .exclude(claim_id=query["claim"])
        .annotate(distance=HammingDistance("perceptual_hash", Value(query["hash"])))
        .filter(distance__lte=max_distance)
        .order_by("distance", "pk")
    )


def naive_python(query: dict, max_distance: int) -> list[int]:
    """Every stored hash fetched and compared in Python."""
    from kiosk.models import ClaimAttachment
    from kiosk.risk.distance import hamming

    stored = (
        ClaimAttachment.objects.current()
        .filter(kind__in=KINDS, perceptual_hash__isnull=False, claim__submitted_at__isnull=False)
        .exclude(claim_id=query["claim"])
        .values_list("pk", "perceptual_hash")
    )
    return sorted(
        pk
        for pk, value in stored.iterator(chunk_size=20_000)
        if hamming(value, query["hash"]) <= max_distance
    )


def naive_text_sql(query: dict, max_distance: int) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(TEXT_COUNT_SQL, [KINDS, query["claim"], query["hash"], max_distance])
        return sorted(pk for pk, _ in cursor.fetchall())


def timed(function, query_list: list[dict], max_distance: int) -> tuple[dict, list]:
    samples, answers = [], []
    for query in query_list:
        started = time.perf_counter()
        answers.append(function(query, max_distance))
        samples.append((time.perf_counter() - started) * 1000)
    return harness.Summary.of(samples).to_dict(), answers


def explain(queryset) -> list[str]:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def measure(*, hashes: int, claims: int, count: int, baseline_count: int) -> dict:
    harness.setup_django("postgresql")
    from django.conf import settings
    from django.db import connection

    from kiosk.models import ClaimAttachment
    from kiosk.risk.photos import photos_alike

    max_distance = settings.RISK_PHOTO_DISTANCE
    loaded = load(hashes=hashes, claims=claims)
    query_list = queries(count, max_distance=max_distance)
    errors = []
    for query in query_list[:5]:  # warm the caches, as a busy worker's would be
        alike(query, max_distance)
    timings, answers = {}, {}
    timings["photos_alike"], found = timed(alike, query_list, max_distance)
    for query, matches in zip(query_list, found, strict=True):
        if query["of"] is not None and query["of"] not in [pk for pk, _ in matches]:
            errors.append(f"the planted hash near attachment {query['of']} was not found")
    few = query_list[:baseline_count]
    timings["bit_count over every row"], answers["scan"] = timed(scan_all, few, max_distance)
    timings["naive: bits counted as text in SQL"], answers["text"] = timed(
        naive_text_sql, few, max_distance
    )
    timings["naive: every hash compared in Python"], answers["python"] = timed(
        naive_python, few[: max(2, baseline_count // 4)], max_distance
    )
    for label, baseline in answers.items():
        for query, matches, expected in zip(few, found, baseline, strict=False):
            got = sorted(pk for pk, _ in matches)
            want = sorted(pk for pk, *_ in expected) if label == "scan" else expected
            if got != want:
                errors.append(f"hash {query['hash']}: photos_alike found {got}, {label} {want}")

    planted = next(query for query in query_list if query["of"] is not None)
    plans = {
        "photos_alike (band indexes)": explain(
            photos_alike(
                perceptual_hash=planted["hash"],
                kinds=KINDS,
                max_distance=max_distance,
                exclude_claim_pk=planted["claim"],
            )
        ),
        "bit_count over every row": explain(_scan_all_queryset(planted, max_distance)),
    }
    with connection.cursor() as cursor:
        for index in ClaimAttachment._meta.indexes:
            cursor.execute(f"DROP INDEX {index.name}")
        cursor.execute("ANALYZE kiosk_claimattachment")
    timings["photos_alike without the band indexes"], _ = timed(alike, few, max_distance)
    return loaded | {
        "queries": count,
        "planted": sum(1 for query in query_list if query["of"] is not None),
        "found_per_query": round(sum(len(m) for m in found) / len(found), 2),
        "max_distance": max_distance,
        "kinds": KINDS,
        "timings": timings,
        "plans": plans,
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.risk_hashes_measure")
    parser.add_argument("--hashes", type=int, required=True)
    parser.add_argument("--claims", type=int, default=21_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--baseline-queries", type=int, default=20)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        measured = measure(
            hashes=args.hashes,
            claims=args.claims,
            count=args.queries,
            baseline_count=args.baseline_queries,
        )
    finally:
        harness.teardown_django()
    harness.write_measured(args.json, measured)
    return 0


if __name__ == "__main__":
    sys.exit(main())
