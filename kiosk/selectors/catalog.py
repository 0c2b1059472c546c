"""Finding a product in a store's catalog: search as you type, a scan, the tablet's copy."""

import hashlib

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Lower, NullIf

from kiosk.barcodes import gtin_candidates
from kiosk.models import Store, Variant

# A query's words beyond this many are ignored: nobody types more to find a product.
QUERY_WORDS_MAX = 6


# What the tablet knows of a variant: to show it, and to fill the Item step with it.
ENTRY_COLUMNS = ("id", "sku", "barcode", "price")
ENTRY_EXPRESSIONS = {
    "name": F("product__name"),
    "variant": F("title"),
    "image": Coalesce(NullIf("image_url", Value("")), "product__image_url"),
    "warranty": Coalesce(NullIf("warranty_period", Value("")), "product__warranty_period"),
    "text": F("search_text"),
}


def store_variants(*, store: Store) -> QuerySet[Variant]:
    """The variants of the products sold at the store."""
    return Variant.objects.filter(product__stores=store)


def catalog_copy(*, store: Store) -> list[dict]:
    """The store's whole catalog, as the tablet keeps it to search when offline."""
    return list(
        store_variants(store=store).order_by("pk").values(*ENTRY_COLUMNS, **ENTRY_EXPRESSIONS)
    )


def catalog_search(*, store: Store, query: str) -> list[dict]:
    """The store's variants for what was typed or scanned, best first.

    A barcode (any UPC/EAN length) or a SKU matching exactly comes first; then
    every variant whose name, variant title or SKU contains each of the query's
    words, those whose product name starts with the first word first, then by name
    and variant. At most
    KIOSK_CATALOG_RESULTS; nothing for fewer than KIOSK_CATALOG_QUERY_MIN_CHARS. Each
    entry has the ENTRY_ fields and `exact`: a barcode or SKU matched.
    """
    query = " ".join(query.split())
    if len(query) < settings.KIOSK_CATALOG_QUERY_MIN_CHARS:
        return []
    exact = Q(sku_folded=query.lower())
    if barcodes := gtin_candidates(query):
        exact |= Q(barcode__in=barcodes)
    words = query.casefold().split()[:QUERY_WORDS_MAX]
    contains_words = Q()
    for word in words:
        contains_words &= Q(search_text__contains=word)
    ranked = list(
        store_variants(store=store)
        .alias(sku_folded=Lower("sku"))
        .filter(exact | contains_words)
        .annotate(
            rank=Case(
                When(exact, then=Value(0)),
                When(search_text__startswith=words[0], then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        # search_text begins with the product's name, then the variant's title: their
        # order, from the variant's own row (no join before the limit: bench/catalog_search).
        .order_by("rank", "search_text", "pk")
        .values_list("pk", "rank")[: settings.KIOSK_CATALOG_RESULTS]
    )
    entries = {
        entry["id"]: entry
        for entry in Variant.objects.filter(pk__in=[pk for pk, _ in ranked]).values(
            *ENTRY_COLUMNS, **ENTRY_EXPRESSIONS
        )
    }
    return [entries[pk] | {"exact": rank == 0} for pk, rank in ranked]


def catalog_version(*, store: Store) -> str:
    """Changes whenever the store's catalog does: the tablet's copy is fetched again then."""
    variants = store_variants(store=store).aggregate(
        count=Count("pk"), variant=Max("updated_at"), product=Max("product__updated_at")
    )
    text = f"{variants['count']}|{variants['variant']}|{variants['product']}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]
