"""A claim's item taken from the store's catalog: what the variant picked fills in."""

from kiosk.models import Claim, Variant


def item_fields_from_variant(*, claim: Claim, variant: Variant | None) -> dict[str, object]:
    """The claim's fields that follow the variant the associate picked (None: none picked).

    Its ids and picture are sent with the item. Its warranty period, when it has one,
    replaces the claim's when another variant is picked; the associate may still change
    it on the page. What the associate types (name, SKU, price paid) is theirs:
    the tablet fills it in from the catalog, and they may change it.
    """
    if variant is None:
        return {
            "catalog_variant": None,
            "item_source_product_id": "",
            "item_source_variant_id": "",
            "item_product_image_url": "",
        }
    fields: dict[str, object] = {
        "catalog_variant": variant,
        "item_source_product_id": variant.product.source_product_id,
        "item_source_variant_id": variant.source_variant_id,
        "item_product_image_url": variant.effective_image_url,
    }
    if variant.pk != claim.catalog_variant_id and variant.effective_warranty_period:
        fields["warranty_period"] = variant.effective_warranty_period
    return fields
