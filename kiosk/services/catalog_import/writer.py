"""Writing one batch of catalog rows: find what exists, then create and update in bulk.

A variant is found by its source variant id; else by SKU (any case), then barcode, then
its title within its product, as long as nothing contradicts (another source id). A
product is found by its source product id; else as the found variant's product; else by
handle. What is found is updated in place (a file that has ids fills them in); nothing
is ever deleted.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models.functions import Lower
from django.utils import timezone

from kiosk.models import Product, Variant, variant_search_text, variants_search_text_refresh
from kiosk.services.catalog_import.report import ImportReport
from kiosk.services.catalog_import.rows import CatalogRow, RowProblem, RowRefused

ProductLinks = Product.stores.through


@dataclass
class _Found:
    """The batch's existing products and variants, indexed the ways rows find them."""

    by_product_id: dict[str, Product] = field(default_factory=dict)
    by_handle: dict[str, list[Product]] = field(default_factory=dict)
    by_variant_id: dict[str, Variant] = field(default_factory=dict)
    by_sku: dict[str, Variant] = field(default_factory=dict)
    by_barcode: dict[str, Variant] = field(default_factory=dict)
    variants_of: dict[int, list[Variant]] = field(default_factory=dict)
    stores_of: dict[int, set[int]] = field(default_factory=dict)

    def add_product(self, product: Product) -> None:
        if product.source_product_id:
            self.by_product_id.setdefault(product.source_product_id, product)
        same_handle = self.by_handle.setdefault(product.handle, []) if product.handle else []
        if product.handle and not any(p is product for p in same_handle):
            same_handle.append(product)

    def add_variant(self, variant: Variant) -> None:
        if variant.source_variant_id:
            self.by_variant_id.setdefault(variant.source_variant_id, variant)
        if variant.sku:
            self.by_sku.setdefault(variant.sku.lower(), variant)
        if variant.barcode:
            self.by_barcode.setdefault(variant.barcode, variant)
        siblings = self.variants_of.setdefault(id(variant.product), [])
        if not any(v is variant for v in siblings):
            siblings.append(variant)


class CatalogWriter:
    """Writes batches into the catalog, counting into `report`.

    `store_ids`: the stores every product written is sold at (links added, never removed).
    `editable_store_ids`: for a store manager, the stores they manage: a row that would
    change a product sold at none of them is refused. None: anything (a superuser).
    """

    def __init__(
        self,
        *,
        report: ImportReport,
        store_ids: list[int],
        editable_store_ids: set[int] | None = None,
    ):
        self.report = report
        self.store_ids = store_ids
        self.editable_store_ids = editable_store_ids

    def write(self, rows: list[CatalogRow]) -> None:
        found = self._find(rows)
        products: dict[int, Product] = {}  # id(product) -> product, in order met
        product_changes: dict[int, dict[str, tuple]] = {}
        variants: dict[int, tuple[Variant, str, dict[str, tuple]]] = {}  # id -> (v, row, changes)
        for row in rows:
            try:
                product, variant = self._resolve(row, found)
            except RowProblem as problem:
                self.report.refuse(str(problem.refusal))
                continue
            if id(variant) in variants:
                earlier = variants[id(variant)][1]
                self.report.refuse(
                    f"{row.where}, the same variant as {earlier.lower()} ({_describe(variant)}); "
                    "left out."
                )
                continue
            if id(product) not in products:
                products[id(product)] = product
                product_changes[id(product)] = _apply(product, row.product, row, "product")
                found.add_product(product)  # by the ids it may have just been given
            changes = _apply(variant, row.variant, row, "variant")
            if variant.pk and variant.product is not product:
                changes["product"] = (variant.product.name, product.name)
                variant.product = product
            variants[id(variant)] = (variant, row.where, changes)
            found.add_variant(variant)
        self._save(products, product_changes, variants)

    # -- finding ---------------------------------------------------------------------------

    def _find(self, rows: list[CatalogRow]) -> _Found:
        product_ids, handles, variant_ids, skus, barcodes = set(), set(), set(), set(), set()
        for row in rows:
            product_ids.add(row.product.get("source_product_id"))
            handles.add(row.product.get("handle"))
            variant_ids.add(row.variant.get("source_variant_id"))
            skus.add((row.variant.get("sku") or "").lower())
            barcodes.add(row.variant.get("barcode"))
        for values in (product_ids, handles, variant_ids, skus, barcodes):
            values.discard(None)
            values.discard("")
        # One query per key, each served by its index (an OR of them, or a subquery in
        # one, made PostgreSQL scan the tables: the import grew slower with the catalog).
        pks: set[int] = set()
        # No ordering: Variant's default (by product name) would join and sort every match.
        variants = Variant.objects.order_by().values_list("product_id", flat=True)
        if variant_ids:
            pks.update(
                variants.filter(source_variant_id__in=variant_ids).exclude(source_variant_id="")
            )
        if skus:
            pks.update(variants.alias(sku_ci=Lower("sku")).filter(sku_ci__in=skus))
        if barcodes:
            pks.update(variants.filter(barcode__in=barcodes))
        products = Product.objects.order_by().values_list("pk", flat=True)
        if product_ids:
            pks.update(
                products.filter(source_product_id__in=product_ids).exclude(source_product_id="")
            )
        if handles:
            pks.update(products.filter(handle__in=handles))
        products = list(Product.objects.filter(pk__in=pks).order_by("pk"))
        found = _Found()
        by_pk = {product.pk: product for product in products}
        for product in products:
            found.add_product(product)
        for variant in Variant.objects.filter(product_id__in=by_pk).order_by("pk"):
            variant.product = by_pk[variant.product_id]
            found.add_variant(variant)
        if self.editable_store_ids is not None and by_pk:
            for product_id, store_id in ProductLinks.objects.filter(
                product_id__in=by_pk
            ).values_list("product_id", "store_id"):
                found.stores_of.setdefault(product_id, set()).add(store_id)
        return found

    def _resolve(self, row: CatalogRow, found: _Found) -> tuple[Product, Variant]:
        product_id = row.product.get("source_product_id") or ""
        handle = row.product.get("handle") or ""
        variant_id = row.variant.get("source_variant_id") or ""
        sku = (row.variant.get("sku") or "").lower()
        barcode = row.variant.get("barcode") or ""

        def may_be(variant: Variant) -> bool:
            """A variant found by SKU, barcode or title: unless its ids say it is another."""
            other_id = variant_id and variant.source_variant_id
            other_product = (
                product_id
                and variant.product.source_product_id
                and variant.product.source_product_id != product_id
            )
            return not other_id and not other_product

        variant = found.by_variant_id.get(variant_id) if variant_id else None
        for key, index in ((sku, found.by_sku), (barcode, found.by_barcode)):
            if variant is None and key and (candidate := index.get(key)) and may_be(candidate):
                variant = candidate

        product = found.by_product_id.get(product_id) if product_id else None
        if product is None and variant is not None and not variant.product.source_product_id:
            product = variant.product
        if product is None and variant is not None and not product_id:
            product = variant.product
        if product is None and handle:
            product = next(
                (p for p in found.by_handle.get(handle, ()) if not p.source_product_id), None
            )
        if product is None:
            product = Product()
            for name, value in row.product.items():
                setattr(product, name, value)
            found.add_product(product)

        if variant is None:
            # Within its product: by title; a row without one (a feed's item with no colour
            # or size) is the product's only variant, if it has one.
            candidates = [
                v
                for v in found.variants_of.get(id(product), ())
                if may_be(v)
                and (not sku or not v.sku or v.sku.lower() == sku)
                and (not barcode or not v.barcode or v.barcode == barcode)
            ]
            if "title" in row.variant:
                variant = next((v for v in candidates if v.title == row.variant["title"]), None)
            elif len(found.variants_of.get(id(product), ())) == 1 and candidates:
                variant = candidates[0]
        for existing in (product, variant.product if variant is not None else None):
            if existing is not None and existing.pk:
                self._check_editable(row, existing, found)
        if variant is None:
            variant = Variant(product=product)
            for name, value in row.variant.items():
                setattr(variant, name, value)
            found.add_variant(variant)
        return product, variant

    def _check_editable(self, row: CatalogRow, product: Product, found: _Found) -> None:
        if self.editable_store_ids is None:
            return
        if found.stores_of.get(product.pk, set()) & self.editable_store_ids:
            return
        raise RowProblem(
            RowRefused(
                row.where,
                f"the product “{product.name}” is sold only at stores you do not manage; "
                "it was left alone (an administrator can import it).",
            )
        )

    # -- writing ---------------------------------------------------------------------------

    def _save(self, products, product_changes, variants) -> None:
        now = timezone.now()
        report = self.report
        new_products = [p for p in products.values() if p.pk is None]
        new_ids = {id(p) for p in new_products}
        Product.objects.bulk_create(new_products)
        changed_products = [p for p in products.values() if p.pk and product_changes[id(p)]]
        if changed_products:
            fields = {name for p in changed_products for name in product_changes[id(p)]}
            for product in changed_products:
                product.updated_at = now
            Product.objects.bulk_update(changed_products, [*fields, "updated_at"])
        gained_stores = self._link_stores([p.pk for p in products.values()])

        new_variants, changed_variants, variant_fields = [], [], set()
        for variant, _, changes in variants.values():
            variant.search_text = variant_search_text(
                product_name=variant.product.name, title=variant.title, sku=variant.sku
            )
            if variant.pk is None:
                new_variants.append(variant)
                report.variants_created += 1
                report.example("created", _describe(variant))
            elif changes:
                variant.updated_at = now
                changed_variants.append(variant)
                variant_fields.update(changes)
                report.variants_updated += 1
                report.example("updated", f"{_describe(variant)}: {_changes_text(changes)}")
            else:
                report.variants_unchanged += 1
        Variant.objects.bulk_create(new_variants)
        if changed_variants:
            Variant.objects.bulk_update(
                changed_variants, [*variant_fields, "search_text", "updated_at"]
            )
        renamed = [p.pk for p in changed_products if "name" in product_changes[id(p)]]
        if renamed:
            variants_search_text_refresh(product_ids=renamed)

        for product in products.values():
            changes = product_changes[id(product)]
            if id(product) in new_ids:
                report.products_created += 1
            elif changes or product.pk in gained_stores:
                report.products_updated += 1
                if changes:
                    report.example("updated", f"{product.name}: {_changes_text(changes)}")
            else:
                report.products_unchanged += 1

    def _link_stores(self, product_ids: list[int]) -> set[int]:
        """Add the missing product–store links; returns the products that gained one."""
        if not self.store_ids or not product_ids:
            return set()
        linked = set(
            ProductLinks.objects.filter(
                product_id__in=product_ids, store_id__in=self.store_ids
            ).values_list("product_id", "store_id")
        )
        missing = [
            ProductLinks(product_id=product_id, store_id=store_id)
            for product_id in product_ids
            for store_id in self.store_ids
            if (product_id, store_id) not in linked
        ]
        ProductLinks.objects.bulk_create(missing, ignore_conflicts=True)
        return {link.product_id for link in missing}


def _apply(obj, values: dict[str, object], row: CatalogRow, kind: str) -> dict[str, tuple]:
    """Set the row's values on the object; returns {field: (old, new)} of what changed."""
    changes = {}
    new = obj.pk is None
    for name, value in values.items():
        current = getattr(obj, name)
        if current == value:
            continue
        if not new and current not in ("", None) and f"{kind}.{name}" in row.fill_only:
            continue
        setattr(obj, name, value)
        if not new:
            changes[name] = (current, value)
    return changes


def _describe(variant: Variant) -> str:
    name = variant.product.name
    text = f"{name} – {variant.title}" if variant.title else name
    return f"{text} ({variant.sku})" if variant.sku else text


def _changes_text(changes: dict[str, tuple]) -> str:
    def shown(value) -> str:
        if value in ("", None):
            return "—"
        return f"{value:.2f}" if isinstance(value, Decimal) else str(value)

    return ", ".join(
        f"{name.replace('_', ' ')} {shown(old)} → {shown(new)}"
        for name, (old, new) in changes.items()
    )
