"""The claim that does not add up: dates, prices and items against the catalog and others.

Dates are the store's: a claim submitted at 11 pm in Los Angeles was submitted that day
there, whatever the server's clock says (kiosk.dates.store_today).
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Min

from kiosk.dates import store_today
from kiosk.models import Claim, Product, RiskSignal
from kiosk.risk.findings import Finding
from kiosk.risk.identity import MATCHED_CLAIMS_MAX, email_key, matchable_claims
from kiosk.warranty_period import WarrantyPeriodInvalid, warranty_period_parse


def consistency_findings(claim: Claim) -> list[Finding]:
    return [
        *purchase_in_future(claim),
        *purchase_before_catalog(claim),
        *outside_warranty(claim),
        *price_mismatch(claim),
        *item_other_customer(claim),
    ]


def purchase_in_future(claim: Claim) -> list[Finding]:
    """Bought after the day the claim was submitted, in the store's time zone.

    detail: {"date_of_purchase": "2026-12-08", "submitted_on": "2026-12-06"}.
    """
    if claim.date_of_purchase is None or claim.submitted_at is None:
        return []
    submitted_on = store_today(store=claim.store, now=claim.submitted_at)
    if claim.date_of_purchase <= submitted_on:
        return []
    detail = {
        "date_of_purchase": claim.date_of_purchase.isoformat(),
        "submitted_on": submitted_on.isoformat(),
    }
    return [Finding(RiskSignal.Code.PURCHASE_IN_FUTURE, detail)]


def purchase_before_catalog(claim: Claim) -> list[Finding]:
    """Bought before the claim's product first appeared in the catalog.

    A product's first appearance is the day it was created (Product.created_at), in the
    store's time zone. The products of the catalog's first import have no known first
    appearance: they were on sale before the catalog existed. So only a product created
    after the day of the catalog's earliest product counts; one created that same day
    never gives this signal. A claim without a catalog product or a date gives none.

    detail: {"date_of_purchase": "2025-03-01", "in_catalog_since": "2026-02-10"}.
    """
    variant = claim.catalog_variant
    if variant is None or claim.date_of_purchase is None:
        return []
    in_catalog_since = store_today(store=claim.store, now=variant.product.created_at)
    if claim.date_of_purchase >= in_catalog_since:
        return []
    catalog_start = Product.objects.aggregate(first=Min("created_at"))["first"]
    if catalog_start is None or in_catalog_since <= store_today(
        store=claim.store, now=catalog_start
    ):
        return []
    detail = {
        "date_of_purchase": claim.date_of_purchase.isoformat(),
        "in_catalog_since": in_catalog_since.isoformat(),
    }
    return [Finding(RiskSignal.Code.PURCHASE_BEFORE_CATALOG, detail)]


def outside_warranty(claim: Claim) -> list[Finding]:
    """The associate filed it although the warranty had ended (or its end could not be
    worked out): the warranty step asks for an override reason exactly then
    (kiosk.services.coverage), so a reason on the claim is the override.

    detail: {"reason": "Manager approved", "warranty_end": "2026-08-14" or None (unknown)}.
    """
    reason = claim.warranty_override_reason.strip()
    if not reason:
        return []
    detail = {"reason": reason, "warranty_end": _warranty_end(claim)}
    return [Finding(RiskSignal.Code.OUTSIDE_WARRANTY, detail)]


def price_mismatch(claim: Claim) -> list[Finding]:
    """The price paid is RISK_PRICE_DEVIATION (a fraction of the catalog's price) or more
    above or below the catalog variant's price. Nothing when either price is unknown, or
    the catalog's is zero (no fraction of it means anything).

    detail: {"item_price": "40.00", "catalog_price": "100.00", "deviation": -0.6}.
    """
    variant = claim.catalog_variant
    if variant is None or variant.price is None or claim.item_price is None:
        return []
    if variant.price <= 0:
        return []
    deviation = (claim.item_price - variant.price) / variant.price
    if abs(deviation) < Decimal(str(settings.RISK_PRICE_DEVIATION)):
        return []
    detail = {
        "item_price": str(claim.item_price),
        "catalog_price": str(variant.price),
        "deviation": round(float(deviation), 4),
    }
    return [Finding(RiskSignal.Code.PRICE_MISMATCH, detail)]


def item_other_customer(claim: Claim) -> list[Finding]:
    """The same item (its source item id, as sent in item.sourceItemId) on submitted
    claims of another customer: one who shares neither the normalised email nor the phone.
    The same product alone is no signal (popular products are claimed by many), and the
    item's free-text details are not read. Both claims need an email or a phone, else the
    customers cannot be told apart. Chain-wide, any time.

    detail: {"source_item_id": "item_123", "more": claims beyond those linked}.
    """
    item_id = claim.item_source_item_id.strip()
    email, phone = email_key(claim.customer_email), claim.customer_phone.strip()
    if not item_id or not (email or phone) or claim.personal_data_purged_at is not None:
        return []
    rows = matchable_claims(claim).filter(item_source_item_id=item_id)
    matched = [
        pk
        for pk, other_email, other_phone in rows.values_list(
            "pk", "customer_email", "customer_phone"
        )
        if (other_email or other_phone.strip())
        and not (email and email_key(other_email) == email)
        and not (phone and other_phone.strip() == phone)
    ]
    if not matched:
        return []
    detail = {"source_item_id": item_id, "more": max(0, len(matched) - MATCHED_CLAIMS_MAX)}
    return [
        Finding(RiskSignal.Code.ITEM_OTHER_CUSTOMER, detail, tuple(matched[:MATCHED_CLAIMS_MAX]))
    ]


def _warranty_end(claim: Claim) -> str | None:
    if claim.date_of_purchase is None or not claim.warranty_period:
        return None
    try:
        last_day: datetime.date = warranty_period_parse(period=claim.warranty_period).last_day(
            claim.date_of_purchase
        )
    except (WarrantyPeriodInvalid, OverflowError):
        return None
    return last_day.isoformat()
