from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from kiosk.models.store import Store
from kiosk.validators import validate_iso_duration

NO_VARIANT_TITLE = "Default Title"  # what Shopify calls the variant of a product without options


class Product(models.Model):
    """A product of the merchant's catalog, with the stores it is sold in."""

    name = models.CharField(max_length=255)
    # Shopify's handle, e.g. "wireless-headphones": the key of its CSV export, which
    # carries no numeric ids.
    handle = models.CharField(max_length=255, blank=True, db_index=True)
    source_product_id = models.CharField(
        "source product ID", max_length=100, blank=True, help_text="Sent as item.sourceProductId."
    )
    vendor = models.CharField(max_length=255, blank=True)
    product_type = models.CharField(max_length=255, blank=True)
    image_url = models.URLField("image URL", max_length=1000, blank=True)
    warranty_period = models.CharField(
        max_length=32,
        blank=True,
        validators=[validate_iso_duration],
        help_text="ISO-8601 duration, e.g. P2Y; empty: the store's default.",
    )
    stores = models.ManyToManyField(Store, related_name="products", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [("import_catalog", "Can import the catalog from a file")]
        constraints = [
            models.UniqueConstraint(
                fields=["source_product_id"],
                condition=~Q(source_product_id=""),
                name="product_source_id_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Its variants are searched by its name too (a rename at the desk).
        variants_search_text_refresh(product_ids=[self.pk])


class Variant(models.Model):
    """One sellable version of a product (a size, a colour), as a claim names it."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    title = models.CharField(max_length=255, blank=True, help_text="e.g. “Black / Large”.")
    sku = models.CharField("SKU", max_length=100, blank=True)
    barcode = models.CharField(
        max_length=14,
        blank=True,
        db_index=True,
        help_text="GTIN-14: a UPC or EAN with zeros in front (see kiosk.barcodes).",
    )
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    image_url = models.URLField("image URL", max_length=1000, blank=True)
    source_variant_id = models.CharField(
        "source variant ID", max_length=100, blank=True, help_text="Sent as item.sourceVariantId."
    )
    warranty_period = models.CharField(
        max_length=32,
        blank=True,
        validators=[validate_iso_duration],
        help_text="Empty: the product's, else the store's default.",
    )
    # Lower-case product name, variant title and SKU, for search as you type; PostgreSQL
    # indexes it with trigrams (migration 0018).
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product__name", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_variant_id"],
                condition=~Q(source_variant_id=""),
                name="variant_source_id_unique",
            )
        ]
        indexes = [models.Index(Lower("sku"), name="variant_sku_ci")]

    def __str__(self) -> str:
        return f"{self.product.name} – {self.title}" if self.title else self.product.name

    def save(self, *args, **kwargs):
        self.search_text = variant_search_text(
            product_name=self.product.name, title=self.title, sku=self.sku
        )
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    @property
    def effective_warranty_period(self) -> str:
        """The variant's warranty period, else its product's; empty: the store's default."""
        return self.warranty_period or self.product.warranty_period

    @property
    def effective_image_url(self) -> str:
        return self.image_url or self.product.image_url


def variant_search_text(*, product_name: str, title: str, sku: str) -> str:
    """What search as you type matches a query's words in (bulk writes set it with this)."""
    return " ".join(f"{product_name} {title} {sku}".split()).casefold()


def variants_search_text_refresh(*, product_ids: list[int]) -> None:
    """Set the search_text of these products' variants again (their product was renamed)."""
    stale = list(
        Variant.objects.filter(product_id__in=product_ids)
        .select_related("product")
        .only("pk", "title", "sku", "search_text", "product__name")
    )
    for variant in stale:
        variant.search_text = variant_search_text(
            product_name=variant.product.name, title=variant.title, sku=variant.sku
        )
    Variant.objects.bulk_update(stale, ["search_text"], batch_size=1000)
