"""Realistic claims in bulk, for measuring the desk at scale (`manage.py generate_claims`).

Stores, their associates, and claims spread over a period with the mix of
statuses, states, issue types and resolutions a chain of stores sees, each
filed claim with its attempt. On PostgreSQL rows go in with COPY; elsewhere
with large bulk_create batches.
"""

import datetime
import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from kiosk.models import Claim, DeliveryAttempt, Store

FIRST_NAMES = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
]
ITEMS = (
    ("Espresso machine", 249.99),
    ("Cordless drill", 129.00),
    ("Blender", 89.50),
    ("Headphones", 199.99),
    ("Robot vacuum", 349.00),
    ("Toaster", 39.99),
    ("Stand mixer", 429.00),
    ("Electric kettle", 49.95),
    ("Air fryer", 119.99),
    ("Smart speaker", 99.00),
)
DETAILS = (
    "Stopped working after two weeks.",
    "Leaks water from the base.",
    "Arrived with a cracked housing.",
    "A part was missing from the box.",
    "Makes a grinding noise and smells of burning.",
)
# (value, weight): what a chain of stores sees.
STATUSES = (
    ("filed", 90),
    ("draft", 6),
    ("needs_attention", 2),
    ("queued", 1),
    ("outcome_unknown", 1),
)
REASONS = ("rejected", "configuration", "gave_up", "refused")
STATES = (("NEW", 40), ("APPROVED", 30), ("DENIED", 10), ("RESOLVED", 15), ("OPEN", 5))
ISSUE_TYPES = (
    ("DEFECTIVE_ITEM", 50),
    ("DAMAGED", 25),
    ("MISSING_ITEM", 15),
    ("WRONG_ITEM", 5),
    ("MULTIPLE", 5),
)
RESOLUTIONS = (("REFUND", 50), ("RESHIP", 35), ("STORE_CREDIT", 15))
BATCH = 10_000


@dataclass(frozen=True)
class Generated:
    stores: int
    claims: int
    attempts: int
    seconds: float


def claims_generate(
    *, count: int, stores: int = 20, days: int = 730, seed: int = 1, progress: Callable = print
) -> Generated:
    """Add `count` claims at `stores` stores (created if missing) over the last `days` days."""
    started = timezone.now()
    rng = random.Random(seed)
    store_list = _stores(stores)
    associates = {store.pk: _associates(store) for store in store_list}
    now = timezone.now()
    claims = _claim_rows(rng, count, store_list, associates, now, days)
    inserted = attempts = 0
    for batch in _batches(claims, BATCH):
        with transaction.atomic():
            ids = _insert(Claim, batch)
            attempts += len(_insert(DeliveryAttempt, _attempt_rows(batch, ids)))
        inserted += len(batch)
        progress(f"{inserted:,} claims, {attempts:,} attempts")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE kiosk_claim; ANALYZE kiosk_deliveryattempt")
    seconds = (timezone.now() - started).total_seconds()
    return Generated(len(store_list), inserted, attempts, seconds)


def _stores(count: int) -> list[Store]:
    return [
        Store.objects.get_or_create(
            source_store_id=f"store_{number:03d}", defaults={"name": f"Store {number:02d}"}
        )[0]
        for number in range(1, count + 1)
    ]


def _associates(store: Store) -> list:
    user_model = get_user_model()
    users = []
    for number in (1, 2):
        user, _ = user_model.objects.get_or_create(username=f"{store.source_store_id}-a{number}")
        store.members.add(user)
        users.append(user)
    return users


# Surnames have a long tail: in the US the commonest, Smith, is under 1% of people, and
# the 39 commonest together about 10%. The rest are made of these parts (2,500 names).
COMMON_SURNAME_SHARE = 0.10
SURNAME_STARTS = [
    "Ab",
    "Bar",
    "Cal",
    "Dan",
    "El",
    "Fer",
    "Gal",
    "Har",
    "Ir",
    "Jen",
    "Kel",
    "Lan",
    "Mar",
    "Nor",
    "Os",
    "Pen",
    "Quin",
    "Ros",
    "Sal",
    "Tor",
    "Ul",
    "Van",
    "Wal",
    "Yor",
    "Zan",
    "Bel",
    "Cor",
    "Dav",
    "Ev",
    "Fitz",
    "Gold",
    "Hol",
    "Kin",
    "Lind",
    "Mor",
    "Nash",
    "Or",
    "Pat",
    "Rich",
    "Stan",
    "Thorn",
    "Wes",
    "Ash",
    "Brad",
    "Carl",
    "Dun",
    "Ed",
    "Fair",
    "Grant",
    "Hay",
]
SURNAME_ENDS = [
    "ford",
    "ton",
    "son",
    "ley",
    "man",
    "well",
    "wood",
    "berg",
    "stein",
    "field",
    "ridge",
    "ez",
    "ini",
    "ova",
    "ski",
    "sen",
    "strom",
    "dale",
    "worth",
    "by",
    "ham",
    "ard",
    "ett",
    "ing",
    "er",
    "ander",
    "elli",
    "ado",
    "ero",
    "ich",
    "ovic",
    "ak",
    "en",
    "ot",
    "eau",
    "ston",
    "more",
    "wick",
    "land",
    "shaw",
    "brook",
    "croft",
    "hurst",
    "lund",
    "gaard",
    "ieri",
    "ola",
    "aro",
    "uzzi",
    "anu",
]


def _last_name(rng: random.Random) -> str:
    if rng.random() < COMMON_SURNAME_SHARE:
        return rng.choice(LAST_NAMES)
    return rng.choice(SURNAME_STARTS) + rng.choice(SURNAME_ENDS)


def _weighted(rng: random.Random, choices) -> str:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


def _claim_rows(rng, count, stores, associates, now, days) -> Iterator[dict]:
    span = days * 24 * 3600
    for number in range(count):
        store = stores[number % len(stores)]
        created = now - datetime.timedelta(seconds=rng.randrange(span))
        status = _weighted(rng, STATUSES)
        first, last = rng.choice(FIRST_NAMES), _last_name(rng)
        item, price = rng.choice(ITEMS)
        submitted = None if status == "draft" else created + datetime.timedelta(minutes=6)
        filed = status == "filed"
        yield {
            "reference": f"R-{number:08X}",
            "idempotency_key": uuid.UUID(int=rng.getrandbits(128), version=4),
            "store_id": store.pk,
            "created_by_id": rng.choice(associates[store.pk]).pk,
            "created_at": created,
            "updated_at": created,
            "submitted_at": submitted,
            "filed_at": submitted if filed else None,
            "queued_at": submitted,
            "status": status,
            "attention_reason": rng.choice(REASONS) if status == "needs_attention" else "",
            "claim_number": f"OP-{number // 10_000:04d}-{number % 10_000:04d}" if filed else "",
            "claim_state": _weighted(rng, STATES) if filed else "",
            "customer_email": f"{first}.{last}.{number}@example.com".lower(),
            "customer_phone": f"+1212{rng.randrange(10_000_000):07d}",
            "item_name": item,
            "item_sku": f"SKU-{rng.randrange(100_000):05d}",
            "item_price": Decimal(str(price)),
            "item_details": rng.choice(DETAILS),
            "date_of_purchase": (created - datetime.timedelta(days=rng.randrange(365))).date(),
            "warranty_period": "P1Y",
            "ship_first_name": first,
            "ship_last_name": last,
            "ship_address1": f"{rng.randrange(1, 999)} Main St",
            "ship_city": "Springfield",
            "ship_zip": f"{rng.randrange(10_000, 99_999)}",
            "ship_country": "US",
            "issue_type": _weighted(rng, ISSUE_TYPES),
            "resolution": _weighted(rng, RESOLUTIONS),
            "sales_channel": "IN_STORE",
            "claim_category": "WARRANTY",
            "claim_filed_from": "EXTERNAL",
            "delivery_attempts": 1 if submitted else 0,
            "completed_steps": [],
            "pending_input": {},
            "request_payload": {"storeId": store.source_store_id} if submitted else None,
        }


def _batches(rows: Iterator[dict], size: int) -> Iterator[list[dict]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(model, rows: list[dict]) -> list[int]:
    """Insert the rows (dicts of attnames); returns their primary keys, in order."""
    if connection.vendor != "postgresql":
        return [obj.pk for obj in model.objects.bulk_create([model(**row) for row in rows])]
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)",
            [len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(["id", *(f.column for f in fields)])
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                values = [_copy_value(f, row.get(f.attname, f.get_default())) for f in fields]
                copy.write_row([pk, *values])
    return ids


def _copy_value(field, value):
    if field.get_internal_type() == "JSONField":
        return None if value is None else json.dumps(value)
    return value


def _attempt_rows(rows: list[dict], ids: list[int]) -> list[dict]:
    return [
        {
            "claim_id": pk,
            "number": 1,
            "started_at": row["submitted_at"],
            "duration_ms": 180 + pk % 400,
            "url": "https://api.production.orderprotection.com/v1/claims/offline",
            "request_body": row["request_payload"],
            "status_code": 201,
            "response_body": json.dumps({"status": "ok"}),
            "outcome": "filed",
            "decision": f"filed as {row['claim_number']}",
            "sent_from": "counter",
            "kind": "send",
        }
        for pk, row in zip(ids, rows, strict=True)
        if row["status"] == "filed"
    ]
