"""Which step on the tablet, and which of its form fields, collected each key of the API's
body: a rejection naming a key goes back to the associate at that field.

The body's keys are the API's (create-offline-claim.md); a key collected by two steps
(the customer's name is the shipping address's) belongs to the first.
"""

# step slug -> {the API's dotted key -> the form field that collects it}
COLLECTED_BY: dict[str, dict[str, str]] = {
    "customer": {
        "shippingAddress.firstName": "ship_first_name",
        "shippingAddress.lastName": "ship_last_name",
        "customer.email": "customer_email",
        "customer.phoneNumber": "customer_phone",
    },
    "item": {
        "item.name": "item_name",
        "item.sku": "item_sku",
        "item.sourceProductId": "catalog_variant",
        "item.sourceVariantId": "catalog_variant",
        "item.price": "item_price",
        "item.details": "item_details",
        "item.images": "item_photos",
        "item.productImage": "product_image",
    },
    "warranty": {
        "warranty.dateOfPurchase": "date_of_purchase",
        "warranty.warrantyPeriod": "warranty_period_choice",
        "warranty.productDescription": "product_description",
        "warranty.receiptImages": "receipt_photos",
        "warranty.receiptRequired": "receipt_photos",
    },
    "address": {
        "shippingAddress.firstName": "ship_first_name",
        "shippingAddress.lastName": "ship_last_name",
        "shippingAddress.address1": "ship_address1",
        "shippingAddress.address2": "ship_address2",
        "shippingAddress.city": "ship_city",
        "shippingAddress.zip": "ship_zip",
        "shippingAddress.country": "ship_country",
        "shippingAddress.countryAbr": "ship_country",
        "shippingAddress.state": "ship_state",
        "shippingAddress.stateAbr": "ship_state",
        "shippingAddress.lat": "ship_lat",
        "shippingAddress.lng": "ship_lng",
        "shippingAddress.addressOrigin": "address_origin",
    },
    "issue": {
        "issueType": "issue_type",
        "resolution": "resolution",
        "salesChannel": "sales_channel",
        "claimCategory": "claim_category",
        "claimFiledFrom": "claim_filed_from",
        "options.fromValet": "from_valet",
        "options.requireCustomerSignature": "require_customer_signature",
    },
    "signature": {
        "signature": "signature_data",
    },
}


def collecting_field(field_path: str) -> tuple[str, str] | None:
    """(step slug, form field) that collected an API key such as "item.images[0]"."""
    key = field_path.split("[", 1)[0]
    for slug, fields in COLLECTED_BY.items():
        if key in fields:
            return slug, fields[key]
    return None
