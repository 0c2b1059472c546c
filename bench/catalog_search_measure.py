"""Measure catalog search on PostgreSQL (`python -m bench --only catalog_search` runs this).

A throwaway cluster gets a generated catalog: N variants of N/20 products, sold at
one store (and a few at another). Queries as associates type them (the first letters
of a name, two words, a SKU, a barcode in UPC-A or EAN-13, a miss) are answered
through the search endpoint, as the tablet asks; then the bare query; then the
endpoint again with the trigram index dropped.
"""

import argparse
import random
import sys
import time
from pathlib import Path

from bench import harness

WORDS = [
    "wireless",
    "headphones",
    "kettle",
    "espresso",
    "machine",
    "blender",
    "toaster",
    "vacuum",
    "cleaner",
    "lamp",
    "speaker",
    "keyboard",
    "monitor",
    "router",
    "camera",
    "drone",
    "watch",
    "charger",
    "tablet",
    "laptop",
    "stand",
    "backpack",
    "jacket",
    "boots",
    "sneakers",
    "sofa",
    "chair",
    "table",
    "mattress",
    "pillow",
    "blanket",
    "grill",
    "fryer",
    "mixer",
    "scale",
    "fan",
    "heater",
    "purifier",
    "humidifier",
    "projector",
    "guitar",
    "bicycle",
    "helmet",
]
COLOURS = ("Black", "White", "Red", "Blue", "Green", "Grey", "Silver", "Gold")
SIZES = ("XS", "S", "M", "L", "XL")


def generate(variants: int) -> dict:
    from django.db import connection, transaction
    from stdnum import ean

    from kiosk.models import Product, Store, Variant, variant_search_text
    from tests.factories import StoreFactory

    started = time.perf_counter()
    rng = random.Random(18)
    store, other = StoreFactory(name="Bench store"), StoreFactory(name="Other store")
    per_product = 20
    Through = Product.stores.through
    with transaction.atomic():
        products = Product.objects.bulk_create(
            Product(
                name=f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {number}",
                source_product_id=str(7_000_000 + number),
            )
            for number in range(variants // per_product)
        )
        Through.objects.bulk_create(
            [Through(product=p, store=store) for p in products]
            + [Through(product=p, store=other) for p in products[::10]]
        )
        batch = []
        for index, product in enumerate(products):
            for n in range(per_product):
                number = index * per_product + n
                title = f"{COLOURS[n % len(COLOURS)]} / {SIZES[n % len(SIZES)]}"
                sku = f"SKU-{number:07d}"
                body = f"0{number + 10_000_000:011d}"
                barcode = (body + ean.calc_check_digit(body)).zfill(14)
                batch.append(
                    Variant(
                        product=product,
                        title=title,
                        sku=sku,
                        barcode=barcode,
                        price=rng.randint(500, 50000) / 100,
                        source_variant_id=str(9_000_000 + number),
                        search_text=variant_search_text(
                            product_name=product.name, title=title, sku=sku
                        ),
                    )
                )
            if len(batch) >= 10_000:
                Variant.objects.bulk_create(batch)
                batch = []
        Variant.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE kiosk_variant")
        cursor.execute("VACUUM ANALYZE kiosk_product")
        cursor.execute("VACUUM ANALYZE kiosk_product_stores")
    return {
        "store": store,
        "products": len(products),
        "variants": Variant.objects.count(),
        "seconds": time.perf_counter() - started,
        "rng": rng,
        "Store": Store,
    }


def queries(rng: random.Random, variants) -> dict[str, list[str]]:
    """kind -> queries, as associates type them, from variants of the catalog."""
    sample = [variants[rng.randrange(len(variants))] for _ in range(20)]
    return {
        "first letters of a name": [v.search_text[: rng.randint(3, 6)] for v in sample],
        "two words": [" ".join(v.search_text.split()[:2]) for v in sample],
        "name and variant": [f"{v.search_text.split()[0]} {v.title.split()[0]}" for v in sample],
        "SKU": [v.sku for v in sample],
        "barcode (UPC-A)": [v.barcode[2:] for v in sample],
        "barcode (EAN-13)": [v.barcode[1:] for v in sample],
        "nothing found": [f"zq{rng.randint(100, 999)}x" for _ in sample],
    }


def measure(*, variants: int, repeat: int) -> dict:
    harness.setup_django("postgresql")
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from kiosk.models import Claim, Variant
    from kiosk.roles import STORE_MANAGERS  # noqa: F401 (the roles exist once migrated)
    from tests.factories import UserFactory

    generated = generate(variants)
    store = generated["store"]
    associate = UserFactory(username="bench-associate")
    store.members.add(associate)
    claim = Claim.objects.create(store=store, created_by=associate)
    client = Client()
    client.force_login(associate)
    url = reverse("kiosk:catalog-search", args=[claim.reference])
    sample = list(Variant.objects.order_by("?")[:200])
    by_kind = queries(generated["rng"], sample)
    assert Group.objects.exists()

    def endpoint(query: str) -> None:
        response = client.get(url, {"q": query})
        if response.status_code != 200:
            raise RuntimeError(f"{url}?q={query} answered {response.status_code}")

    def bare(query: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM kiosk_variant WHERE search_text LIKE %s LIMIT 20",
                [f"%{query.lower()}%"],
            )
            cursor.fetchall()

    timings: dict[str, dict[str, list[float]]] = {kind: {} for kind in by_kind}

    def run_all(label: str, search) -> None:
        for kind, texts in by_kind.items():
            samples = timings[kind].setdefault(label, [])
            for text in texts:
                search(text)  # warm, as the letters before it did
                for _ in range(repeat):
                    started = time.perf_counter()
                    search(text)
                    samples.append((time.perf_counter() - started) * 1000)

    run_all("endpoint", endpoint)
    run_all("bare query", bare)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX variant_search_trgm")
        cursor.execute("ANALYZE kiosk_variant")
    run_all("endpoint, without the trigram index", endpoint)
    labels = ("endpoint", "bare query", "endpoint, without the trigram index")
    return {
        "variants": generated["variants"],
        "products": generated["products"],
        "generate_seconds": round(generated["seconds"], 1),
        "queries": sum(len(texts) for texts in by_kind.values()),
        "repeat": repeat,
        "by_kind": {
            kind: {label: harness.Summary.of(samples[label]).to_dict() for label in labels}
            for kind, samples in timings.items()
        },
        "overall": {
            label: harness.Summary.of(
                [ms for samples in timings.values() for ms in samples[label]]
            ).to_dict()
            for label in labels
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.catalog_search_measure")
    parser.add_argument("--variants", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        measured = measure(variants=args.variants, repeat=args.repeat)
    finally:
        harness.teardown_django()
    harness.write_measured(args.json, measured)
    return 0


if __name__ == "__main__":
    sys.exit(main())
