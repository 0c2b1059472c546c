"""Measure the manager's desk on PostgreSQL at scale (`python -m bench --only desk` runs this).

A throwaway cluster gets N generated claims at 20 stores over two years. Each
page is requested `repeat` times through Django's test client, as a manager of
two stores, as a superuser, and as that manager again with the desk's indexes
dropped (the baseline that shows what the indexes buy).
"""

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

from bench import harness

DESK_INDEXES = (
    "claim_list_newest",
    "claim_store_submitted",
    "claim_store_attention",
    "claim_email_ci",
    "claim_phone",
    "claim_last_name_ci",
    "claim_first_name_ci",
    "claim_sku_ci",
)


def pages(sample, deep_page: int) -> dict[str, tuple[str, dict]]:
    """label -> (URL, query): the changelist with each filter and search, and the others."""
    from django.urls import reverse

    changelist = reverse("admin:kiosk_claim_changelist")
    return {
        "no filter": (changelist, {}),
        "status": (changelist, {"status__exact": "needs_attention"}),
        "attention reason": (changelist, {"attention_reason__exact": "gave_up"}),
        "state": (changelist, {"claim_state": "DENIED"}),
        "store": (changelist, {"store": sample.store_id}),
        "issue type": (changelist, {"issue_type__exact": "WRONG_ITEM"}),
        "resolution": (changelist, {"resolution__exact": "STORE_CREDIT"}),
        "drafts": (changelist, {"drafts": "only"}),
        "undelivered": (changelist, {"undelivered": "1"}),
        "submitted 7 days": (changelist, {"submitted": "7d"}),
        "date range": (changelist, {"submitted_from": "2026-01-01", "submitted_to": "2026-01-31"}),
        "search email": (changelist, {"q": sample.customer_email.upper()}),
        "search phone": (changelist, {"q": _typed_phone(sample.customer_phone)}),
        "search claim number": (changelist, {"q": sample.claim_number}),
        "search last name": (changelist, {"q": sample.ship_last_name}),
        f"page {deep_page}": (changelist, {"p": str(deep_page)}),
        "claim detail": (reverse("admin:kiosk_claim_change", args=[sample.pk]), {}),
        "dashboard 7 days": (reverse("admin:kiosk_claim_dashboard"), {"period": "7d"}),
        "dashboard 30 days": (reverse("admin:kiosk_claim_dashboard"), {"period": "30d"}),
    }


def _typed_phone(e164: str) -> str:
    """+12125550147 as a person types it: (212) 555-0147."""
    digits = e164[2:]
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def timed(client, url: str, query: dict, repeat: int) -> dict:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, query)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} {query} answered {response.status_code}")
    return harness.Summary.of(samples).to_dict()


def export_measure(client, query: dict) -> dict:
    """Time and peak Python memory of streaming one CSV export to its end."""
    from django.urls import reverse

    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(reverse("admin:kiosk_claim_export"), query)
    rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"rows": rows, "seconds": round(seconds, 2), "peak_mib": round(peak / 2**20, 2)}


def measure(*, claims: int, repeat: int) -> dict:
    harness.setup_django("postgresql")
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client

    from kiosk.demo.sample_data import claims_generate
    from kiosk.models import Claim, Store
    from kiosk.roles import STORE_MANAGERS
    from tests.factories import UserFactory

    generated = claims_generate(count=claims, stores=20, progress=lambda line: None)
    with connection.cursor() as cursor:
        # What autovacuum does to a table in use: statistics and the visibility map.
        cursor.execute("VACUUM ANALYZE kiosk_claim")
    stores = list(Store.objects.order_by("source_store_id")[:2])
    manager = UserFactory(username="bench-manager", is_staff=True)
    manager.groups.add(Group.objects.get(name=STORE_MANAGERS))
    for store in stores:
        store.members.add(manager)
    superuser = UserFactory(username="bench-root", is_staff=True, is_superuser=True)
    filed = Claim.objects.filter(store=stores[0], status=Claim.Status.FILED).order_by("pk")
    sample = filed[filed.count() // 2]
    clients = {}
    for label, user in (("manager", manager), ("superuser", superuser)):
        clients[label] = Client()
        clients[label].force_login(user)
    submitted = Claim.objects.filter(store__in=stores).exclude(status=Claim.Status.DRAFT)
    to_measure = pages(sample, deep_page=min(500, submitted.count() // 50))
    results = {label: {} for label in to_measure}
    for who, client in clients.items():
        for label, (url, query) in to_measure.items():
            client.get(url, query)  # warm the caches, as a second visit would
            results[label][who] = timed(client, url, query, repeat)
    export = {
        "manager, everything (2 stores)": export_measure(clients["manager"], {}),
        "manager, one store": export_measure(clients["manager"], {"store": stores[0].pk}),
        "manager, 30 days": export_measure(clients["manager"], {"submitted": "30d"}),
    }
    with connection.cursor() as cursor:
        for index in DESK_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {index}")
        cursor.execute("ANALYZE kiosk_claim")
    for label, (url, query) in to_measure.items():
        clients["manager"].get(url, query)
        results[label]["manager, without the desk's indexes"] = timed(
            clients["manager"], url, query, repeat
        )
    return {
        "claims": generated.claims,
        "attempts": generated.attempts,
        "generate_seconds": round(generated.seconds, 1),
        "repeat": repeat,
        "pages": results,
        "export": export,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.desk_measure")
    parser.add_argument("--claims", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        measured = measure(claims=args.claims, repeat=args.repeat)
    finally:
        harness.teardown_django()
    harness.write_measured(args.json, measured)
    return 0


if __name__ == "__main__":
    sys.exit(main())
