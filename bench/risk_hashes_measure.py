"""Measure photo-reuse search over 1,000,000 stored photo hashes on PostgreSQL (`python -m
bench --only risk_hashes` runs this in a process of its own).

A throwaway cluster gets ~20,000 submitted claims at 4 stores and, inserted by two SQL
statements, N / 8 receipt and item photos with eight random 64-bit perceptual hashes each
(PhotoHash: as taken and seven variants). Then each query photo's eight hashes (a quarter
planted with its as-taken hash near a stored photo's variant, a quarter with a variant near
a stored photo as taken, half random) are searched with `photos_alike`, as the scorer does,
and the same searches are made by the baselines: every hash compared in Python, every
hash's distance counted as text in SQL, bit_count over every row (photos_alike without its
band filter), and photos_alike without the band indexes.
"""

import argparse
import random
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from bench import harness

VARIANTS = 8  # hashes a photo: as taken and seven variants
LOAD_PHOTOS_SQL = """
WITH submitted AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM kiosk_claim WHERE submitted_at IS NOT NULL
)
INSERT INTO kiosk_claimattachment (
    claim_id, kind, file, thumbnail, content_type, width, height, size, sha256, created_at,
    typed
)
SELECT
    ids[1 + i %% cardinality(ids)],
    CASE WHEN i %% 2 = 0 THEN 'receipt' ELSE 'item' END,
    'claims/2026/05/' || md5(i::text) || '.jpg',
    'thumbnails/2026/05/' || md5(i::text) || '.jpg',
    'image/jpeg', 1600, 1200, 300000 + i %% 100000,
    encode(sha256(convert_to(i::text, 'UTF8')), 'hex'),
    now() - make_interval(secs => i),
    false
FROM submitted, generate_series(1, %s) AS i
"""
LOAD_HASHES_SQL = """
INSERT INTO kiosk_photohash (attachment_id, variant, value)
SELECT a.id, v, ('x' || substr(md5('phash' || a.id || '/' || v), 1, 16))::bit(64)::bigint
FROM kiosk_claimattachment a, generate_series(0, %s) AS v
WHERE a.id > %s
"""
# The naive SQL baseline: the differing bits counted as the characters '1' of a bit string,
# by photos_alike's rule (the new photo as taken to any stored hash; any of its hashes to a
# stored one as taken).
TEXT_COUNT_SQL = """
SELECT DISTINCT a.id
FROM kiosk_claimattachment a
JOIN kiosk_claim c ON c.id = a.claim_id
JOIN kiosk_photohash h ON h.attachment_id = a.id
WHERE a.removed_at IS NULL AND a.kind = ANY(%(kinds)s)
  AND c.submitted_at IS NOT NULL AND a.claim_id <> %(claim)s
  AND (
    length(replace(((h.value # %(taken)s)::bit(64))::text, '0', '')) <= %(distance)s
    OR (h.variant = 0 AND EXISTS (
      SELECT 1 FROM unnest(%(hashes)s::bigint[]) AS q(value)
      WHERE length(replace(((h.value # q.value)::bit(64))::text, '0', '')) <= %(distance)s
    ))
  )
"""
CLAIM_SCORED = "a new claim scored (claim_risk_assess: 2 photos, every finder)"
KINDS = ["receipt", "item"]  # both: every stored hash is a candidate (the worst case)


def load(*, hashes: int, claims: int) -> dict:
    from django.db import connection

    from kiosk.demo.sample_data import claims_generate

    started = time.perf_counter()
    generated = claims_generate(count=claims, stores=4, progress=lambda line: None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM kiosk_claimattachment")
        (before,) = cursor.fetchone()
        cursor.execute(LOAD_PHOTOS_SQL, [hashes // VARIANTS])
        cursor.execute(LOAD_HASHES_SQL, [VARIANTS - 1, before])
        # What autovacuum does to a table in use: statistics and the visibility map.
        for table in ("kiosk_photohash", "kiosk_claimattachment", "kiosk_claim"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(
            "SELECT count(*), count(DISTINCT attachment_id), "
            "pg_size_pretty(pg_table_size('kiosk_photohash')), "
            "pg_size_pretty(pg_indexes_size('kiosk_photohash')) FROM kiosk_photohash"
        )
        stored, photos, table_size, indexes_size = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM kiosk_claim WHERE submitted_at IS NOT NULL")
        (submitted,) = cursor.fetchone()
    return {
        "claims": generated.claims,
        "submitted_claims": submitted,
        "stored_hashes": stored,
        "stored_photos": photos,
        "table_size": f"{table_size} + indexes {indexes_size}",
        "load_seconds": round(time.perf_counter() - started, 1),
    }


def queries(count: int, *, max_distance: int, seed: int = 20) -> list[dict]:
    """A photo's eight hashes: a quarter with the as-taken hash planted near a stored photo's
    variant, a quarter with a variant near a stored photo as taken (0..max_distance bits
    flipped), half random."""
    from kiosk.models import Claim, PhotoHash
    from kiosk.risk.distance import signed_64

    rng = random.Random(seed)
    claim_pks = list(Claim.objects.filter(submitted_at__isnull=False).values_list("pk", flat=True))
    lowest, highest = (
        PhotoHash.objects.order_by(order).values_list("attachment_id", flat=True).first()
        for order in ("attachment_id", "-attachment_id")
    )
    made = []
    for number in range(count):
        new_claim = rng.choice(claim_pks)
        hashes = [signed_64(rng.getrandbits(64)) for _ in range(VARIANTS)]
        if number % 2:
            made.append({"hashes": hashes, "claim": new_claim, "of": None, "way": None})
            continue
        stored = []
        while not stored:
            source = rng.randint(lowest, highest)
            stored = list(
                PhotoHash.objects.filter(attachment_id=source)
                .exclude(attachment__claim_id=new_claim)
                .order_by("variant")
                .values_list("value", flat=True)
            )
        flipped = rng.sample(range(64), rng.randint(0, max_distance))
        if number % 4 == 0:  # the new photo as taken near one of the stored variants
            way, mine, value = "as taken to a stored variant", 0, stored[rng.randint(1, 7)]
        else:  # one of the new photo's variants near the stored one as taken
            way, mine, value = "a variant to the stored as taken", rng.randint(1, 7), stored[0]
        for bit in flipped:
            value ^= 1 << bit
        hashes[mine] = signed_64(value)
        made.append({"hashes": hashes, "claim": new_claim, "of": source, "way": way})
    return made


def alike(query: dict, max_distance: int) -> list[tuple[int, int]]:
    """The scorer's query, evaluated: (attachment pk, distance) nearest first."""
    return list(_alike_queryset(query, max_distance).values_list("pk", "distance"))


def _alike_queryset(query: dict, max_distance: int):
    from kiosk.risk.photos import photos_alike

    return photos_alike(
        perceptual_hashes=query["hashes"],
        kinds=KINDS,
        max_distance=max_distance,
        exclude_claim_pk=query["claim"],
    )


@contextmanager
def _without_band_filter():
    from kiosk.risk import photos

    near_band_lookups = photos.near_band_lookups
    photos.near_band_lookups = lambda hashes, **options: None
    try:
        yield
    finally:
        photos.near_band_lookups = near_band_lookups


def scan_all(query: dict, max_distance: int) -> list[tuple[int, int]]:
    """photos_alike without its band filter: bit_count over every stored hash."""
    with _without_band_filter():
        return alike(query, max_distance)


def naive_python(query: dict, max_distance: int) -> list[int]:
    """Every stored hash fetched and compared in Python, by photos_alike's rule."""
    from kiosk.models import PhotoHash
    from kiosk.risk.distance import hamming

    taken, hashes = query["hashes"][0], query["hashes"]
    stored = (
        PhotoHash.objects.filter(
            attachment__removed_at__isnull=True,
            attachment__kind__in=KINDS,
            attachment__claim__submitted_at__isnull=False,
        )
        .exclude(attachment__claim_id=query["claim"])
        .values_list("attachment_id", "variant", "value")
    )
    found = set()
    for pk, variant, value in stored.iterator(chunk_size=20_000):
        if hamming(value, taken) <= max_distance or (
            variant == 0 and min(hamming(value, h) for h in hashes) <= max_distance
        ):
            found.add(pk)
    return sorted(found)


def naive_text_sql(query: dict, max_distance: int) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            TEXT_COUNT_SQL,
            {
                "kinds": KINDS,
                "claim": query["claim"],
                "taken": query["hashes"][0],
                "hashes": query["hashes"],
                "distance": max_distance,
            },
        )
        return sorted(pk for (pk,) in cursor.fetchall())


def new_claims(query_list: list[dict], count: int) -> list[int]:
    """New submitted claims as a counter makes them, each with a receipt and an item photo
    whose hashes are two queries' (so some are planted near stored ones), hashed already:
    what claim_risk_assess scores after a Submit."""
    import uuid

    from django.utils import timezone

    from kiosk.models import Claim, ClaimAttachment, PhotoHash, new_claim_reference

    made = []
    for number in range(count):
        receipt, item = query_list[2 * number], query_list[2 * number + 1]
        claim = Claim.objects.get(pk=receipt["claim"])
        claim.pk = claim.id = None
        claim.reference, claim.idempotency_key = new_claim_reference(), uuid.uuid4()
        claim.submitted_at = claim.created_at = timezone.now()
        claim.risk_scored_at, claim.risk_score, claim.risk_level = None, None, ""
        claim.save()
        for kind, query in (("receipt", receipt), ("item", item)):
            attachment = ClaimAttachment.objects.create(
                claim=claim,
                kind=kind,
                file=f"claims/bench/{uuid.uuid4().hex}.jpg",
                content_type="image/jpeg",
                width=1500,
                height=2000,
                size=400_000,
                sha256=uuid.uuid4().hex,
            )
            PhotoHash.objects.bulk_create(
                PhotoHash(attachment=attachment, variant=variant, value=value)
                for variant, value in enumerate(query["hashes"])
            )
        made.append(claim.pk)
    return made


def assess(claim_pk: int, max_distance: int) -> set[int]:
    from kiosk.risk.scoring import claim_risk_assess

    return claim_risk_assess(claim_pk=claim_pk)


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

    from kiosk.models import PhotoHash

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
            errors.append(f"planted near attachment {query['of']} ({query['way']}): not found")
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
                errors.append(
                    f"query {query['hashes'][0]}: photos_alike found {got}, {label} {want}"
                )

    # The whole of scoring a new claim: its two photos' searches and every other finder.
    fresh = new_claims(query_list, min(40, count // 2))
    assess(fresh[0], max_distance)  # warm
    timings[CLAIM_SCORED], _ = timed(assess, fresh[1:], max_distance)

    planted = next(query for query in query_list if query["of"] is not None)
    with _without_band_filter():
        scan_plan = explain(_alike_queryset(planted, max_distance))
    plans = {
        "photos_alike (band indexes)": explain(_alike_queryset(planted, max_distance)),
        "bit_count over every row": scan_plan,
    }
    with connection.cursor() as cursor:
        for index in PhotoHash._meta.indexes:
            cursor.execute(f"DROP INDEX {index.name}")
        cursor.execute("ANALYZE kiosk_photohash")
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
