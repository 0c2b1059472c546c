"""Measure the catalog import on PostgreSQL (`python -m bench --only catalog_import` runs this).

For each format (our CSV, Shopify's product CSV) and size: a generated file of that many
variants (four per product, valid EAN-13 barcodes); the baseline, reading it with the
csv module alone; the import into an empty catalog, timed; the same file again (it must
change nothing); then the import into an empty catalog once more under tracemalloc, for
its peak memory.
"""

import argparse
import csv
import json
import sys
import time
import tracemalloc
from pathlib import Path

from bench import harness

VARIANTS_PER_PRODUCT = 4
COLOURS = ("Black", "White", "Red", "Blue")


def ean13(number: int) -> str:
    from stdnum import ean

    body = f"20{number:010d}"
    return body + ean.calc_check_digit(body)


def write_our_csv(path: Path, variants: int) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["product_id", "product_name", "vendor", "product_type", "product_image_url"]
            + ["warranty_period", "variant_id", "variant_title", "sku", "barcode", "price"]
        )
        for n in range(variants):
            product = n // VARIANTS_PER_PRODUCT
            writer.writerow(
                [
                    f"P{product}",
                    f"Generated product {product}",
                    "Bench Vendor",
                    f"Type {product % 40}",
                    f"https://cdn.example.com/p/{product}.jpg",
                    "P1Y" if product % 3 == 0 else "",
                    f"V{n}",
                    COLOURS[n % VARIANTS_PER_PRODUCT],
                    f"SKU-{n:07d}",
                    ean13(n),
                    f"{10 + n % 500}.99",
                ]
            )


def write_shopify_csv(path: Path, variants: int) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["Handle", "Title", "Body (HTML)", "Vendor", "Type", "Option1 Name", "Option1 Value"]
            + ["Variant SKU", "Variant Price", "Variant Barcode", "Image Src", "Variant Image"]
        )
        for n in range(variants):
            product = n // VARIANTS_PER_PRODUCT
            first = n % VARIANTS_PER_PRODUCT == 0
            writer.writerow(
                [
                    f"generated-product-{product}",
                    f"Generated product {product}" if first else "",
                    "<p>A product made up for the bench.</p>" if first else "",
                    "Bench Vendor" if first else "",
                    f"Type {product % 40}" if first else "",
                    "Color" if first else "",
                    COLOURS[n % VARIANTS_PER_PRODUCT],
                    f"SKU-{n:07d}",
                    f"{10 + n % 500}.99",
                    ean13(n),
                    f"https://cdn.example.com/p/{product}.jpg" if first else "",
                    f"https://cdn.example.com/v/{n}.jpg",
                ]
            )


WRITERS = {"csv": write_our_csv, "shopify": write_shopify_csv}


def empty_catalog() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE kiosk_variant, kiosk_product_stores, kiosk_product CASCADE")


def csv_only(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as text:
        return sum(1 for _ in csv.reader(text))


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, round(time.perf_counter() - started, 2)


def peak_mib(function, *args, **kwargs) -> float:
    tracemalloc.start()
    try:
        function(*args, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / 2**20, 2)


def measure_case(path: Path, file_format: str, store) -> dict:
    from kiosk.services.catalog_import import catalog_import

    def run_import():
        return catalog_import(file=path, file_format=file_format, stores=[store])

    _, baseline_seconds = timed(csv_only, path)
    baseline_peak = peak_mib(csv_only, path)
    empty_catalog()
    report, import_seconds = timed(run_import)
    again, again_seconds = timed(run_import)
    empty_catalog()
    import_peak = peak_mib(run_import)
    empty_catalog()
    return {
        "baseline_seconds": baseline_seconds,
        "baseline_peak_mib": baseline_peak,
        "import_seconds": import_seconds,
        "time_ratio": round(import_seconds / max(baseline_seconds, 0.001), 1),
        "import_peak_mib": import_peak,
        "created": report.variants_created,
        "refused": report.refused,
        "again_seconds": again_seconds,
        "again_summary": again.summary(),
        "again_unchanged": again.changes == 0 and again.variants_unchanged == report.rows_read,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    workspace = harness.setup_django("postgresql")
    try:
        from tests.factories import StoreFactory

        store = StoreFactory()
        measured = {"database": "postgresql", "formats": {}}
        for file_format, write in WRITERS.items():
            cases = {}
            for size in sorted({args.small, args.variants}):
                path = workspace.root / f"{file_format}-{size}.csv"
                write(path, size)
                cases[str(size)] = measure_case(path, file_format, store)
                print(f"  {file_format} {size}: {cases[str(size)]}", file=sys.stderr)
                path.unlink()
            measured["formats"][file_format] = cases
        args.json.write_text(json.dumps(measured, indent=2))
    finally:
        harness.teardown_django()
    return 0


if __name__ == "__main__":
    sys.exit(main())
