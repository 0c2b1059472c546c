"""The catalog on the desk: products with their variants, searchable by name, SKU, barcode
and source ids; a manager sees the products sold at their stores. Importing is on its own
page (kiosk.admin.catalog_import)."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kiosk.admin.base import StoreScopedAdminMixin
from kiosk.admin.catalog_import import CatalogImportMixin
from kiosk.admin.filters import CheckedListFilter, StoreFilter
from kiosk.barcodes import gtin_candidates
from kiosk.models import Product, Variant
from kiosk.selectors.scoping import products_visible_to

THUMBNAIL = "<img src='{}' alt='' width='{}' height='{}' class='catalog-thumbnail' loading='lazy'>"


def _thumbnail(url: str, size: int) -> str:
    return format_html(THUMBNAIL, url, size, size) if url else "—"


class ProductStoreFilter(StoreFilter):
    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        links = Product.stores.through.objects.filter(store_id=self.value())
        return queryset.filter(pk__in=links.values("product_id"))


class ProductTypeFilter(CheckedListFilter):
    """The product types of the products the user may see."""

    title = _("product type")
    parameter_name = "type"

    def lookups(self, request, model_admin):
        types = (
            products_visible_to(request.user)
            .exclude(product_type="")
            .order_by("product_type")
            .values_list("product_type", flat=True)
            .distinct()
        )
        return [(name, name) for name in types[:200]]

    def queryset(self, request, queryset):
        return queryset.filter(product_type=self.value()) if self.value() else queryset


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = [
        "image",
        "title",
        "sku",
        "barcode",
        "price",
        "warranty_period",
        "source_variant_id",
        "image_url",
    ]
    readonly_fields = ["image"]
    show_change_link = False

    @admin.display(description=_("Image"))
    def image(self, variant: Variant) -> str:
        return _thumbnail(variant.effective_image_url, 40)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a claim may name it; an import never deletes either


@admin.register(Product)
class ProductAdmin(CatalogImportMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(products_visible_to)
    list_display = [
        "image",
        "name",
        "vendor",
        "product_type",
        "variant_count",
        "source_product_id",
        "handle",
        "updated_at",
    ]
    list_display_links = ["image", "name"]
    list_filter = [ProductStoreFilter, ProductTypeFilter]
    # Served by get_search_results: see search_help_text.
    search_fields = ["name"]
    search_help_text = _(
        "A product's name, or a SKU, barcode (UPC, EAN or GTIN, in any length), handle or "
        "source product or variant ID."
    )
    fields = [
        "image",
        "name",
        "vendor",
        "product_type",
        "warranty_period",
        "image_url",
        "handle",
        "source_product_id",
        "stores",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["image", "created_at", "updated_at"]
    filter_horizontal = ["stores"]
    inlines = [VariantInline]
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(variants_total=Count("variants"))

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        variants = Variant.objects.filter(
            Q(sku__iexact=term)
            | Q(source_variant_id=term)
            | Q(barcode__in=gtin_candidates(term) or ["-"])
        )
        return (
            queryset.filter(
                Q(name__icontains=term)
                | Q(handle=term)
                | Q(source_product_id=term)
                | Q(pk__in=variants.values("product_id"))
            ),
            False,
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # claims name products (PROTECT); the import never deletes either

    @admin.display(description=_("Image"))
    def image(self, product: Product) -> str:
        return _thumbnail(product.image_url, 48)

    @admin.display(description=_("Variants"), ordering="variants_total")
    def variant_count(self, product: Product) -> int:
        return product.variants_total
