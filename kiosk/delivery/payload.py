"""The mapping from a claim to the body of POST /v1/claims/offline."""

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from django.conf import settings

from kiosk import geography
from kiosk.models import Claim, ClaimAttachment

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "offline_claim_request.json"

FileUrl = Callable[[ClaimAttachment], str]


class PayloadInvalid(Exception):
    """The body built from a claim does not satisfy the request schema."""

    def __init__(self, errors: list[jsonschema.ValidationError]):
        self.errors = errors
        self.field_paths = [_error_field_path(error) for error in errors]
        first = errors[0]
        super().__init__(f"{self.field_paths[0] or 'body'}: {first.message}")


def claim_payload(*, claim: Claim, file_url: FileUrl) -> dict[str, Any]:
    """Map a claim onto the API's JSON body, with the documented camelCase keys.

    Pure: reads the claim and its attachments, writes nothing. Keys whose
    value was never collected are left out rather than sent empty, except
    `signature`, which the API documents as possibly "".
    """
    attachments = [a for a in claim.attachments.all() if a.removed_at is None]

    def urls(kind: str) -> list[str]:
        return [file_url(a) for a in attachments if a.kind == kind]

    product_images = urls(ClaimAttachment.Kind.PRODUCT)
    signatures = urls(ClaimAttachment.Kind.SIGNATURE)
    body = {
        "customer": _compact(email=claim.customer_email, phoneNumber=claim.customer_phone),
        "item": _compact(
            sourceProductId=claim.item_source_product_id,
            sourceVariantId=claim.item_source_variant_id,
            name=claim.item_name,
            images=urls(ClaimAttachment.Kind.ITEM),
            sourceItemId=claim.item_source_item_id,
            sku=claim.item_sku,
            details=claim.item_details,
            # A photo of the product taken at the counter, else the catalog's picture.
            productImage=product_images[0] if product_images else claim.item_product_image_url,
            price=float(claim.item_price) if claim.item_price is not None else None,
            subIssueId=claim.item_sub_issue_id,
        ),
        "warranty": _compact(
            dateOfPurchase=(
                f"{claim.date_of_purchase:%Y-%m-%d}T00:00:00.000Z"
                if claim.date_of_purchase
                else None
            ),
            receiptRequired=claim.receipt_required,
            receiptImages=urls(ClaimAttachment.Kind.RECEIPT),
            warrantyPeriod=claim.warranty_period,
            # One description serves both, unless the associate wrote a second one.
            productDescription=claim.product_description or claim.item_details,
        ),
        "shippingAddress": _compact(
            firstName=claim.ship_first_name,
            lastName=claim.ship_last_name,
            address1=claim.ship_address1,
            address2=claim.ship_address2,
            city=claim.ship_city,
            zip=claim.ship_zip,
            **_country_keys(claim.ship_country),
            **_state_keys(claim.ship_state),
            lat=float(claim.ship_lat) if claim.ship_lat is not None else None,
            lng=float(claim.ship_lng) if claim.ship_lng is not None else None,
            addressOrigin=claim.address_origin,
        ),
        "storeId": claim.store.source_store_id,
        "signature": signatures[-1] if signatures else "",
        "salesChannel": claim.sales_channel,
        "claimCategory": claim.claim_category,
        "issueType": claim.issue_type,
        "resolution": claim.resolution,
        "claimFiledFrom": claim.claim_filed_from,
        "options": {
            "fromValet": claim.from_valet,
            "requireCustomerSignature": claim.require_customer_signature,
        },
    }
    return {
        key: value for key, value in body.items() if key == "signature" or value not in ("", None)
    }


def payload_validate(*, payload: dict[str, Any]) -> None:
    """Raise PayloadInvalid unless the body satisfies the request schema."""
    errors = sorted(_validator().iter_errors(payload), key=lambda e: list(e.absolute_path))
    if errors:
        raise PayloadInvalid(errors)


def payload_field_path(path) -> str:
    """["item", "images", 0] -> "item.images[0]"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _error_field_path(error: jsonschema.ValidationError) -> str:
    path = list(error.absolute_path)
    if error.validator == "required":
        # The error sits on the parent object; name the key that is missing.
        path += [key for key in error.validator_value if key not in error.instance][:1]
    return payload_field_path(path)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _compact(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in ("", None, [])}


def _country_keys(code: str) -> dict[str, str]:
    if not code:
        return {}
    return {"country": geography.country_name(code), "countryAbr": code}


def _state_keys(code: str) -> dict[str, str]:
    if not code:
        return {}
    abbreviation = geography.subdivision_abbreviation(code)
    if settings.ORDERPROTECTION_STATE_VALUE == "code":
        return {"state": abbreviation, "stateAbr": abbreviation}
    return {"state": geography.subdivision_name(code), "stateAbr": abbreviation}
