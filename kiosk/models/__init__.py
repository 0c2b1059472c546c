"""The portal's data: stores, claims with their photos, and the record of every exchange."""

from kiosk.models.attachment import (
    ClaimAttachment,
    PhotoHash,
    attachment_upload_to,
    thumbnail_upload_to,
)
from kiosk.models.audit import ManagerAction
from kiosk.models.catalog import (
    Product,
    Variant,
    variant_search_text,
    variants_search_text_refresh,
)
from kiosk.models.claim import (
    CLAIM_REFERENCE_ALPHABET,
    CLAIM_REFERENCE_PATTERN,
    Claim,
    ClaimQuerySet,
    editable_claims,
    new_claim_reference,
)
from kiosk.models.delivery import ClaimStateChange, DeliveryAttempt, WebhookEvent
from kiosk.models.language import UserLanguage
from kiosk.models.outbox import ClaimSave
from kiosk.models.risk import RiskDecision, RiskSignal
from kiosk.models.store import Store
from kiosk.models.tablet import AssociatePin, Lockout, Tablet
from kiosk.models.worker import WorkerHeartbeat

__all__ = [
    "CLAIM_REFERENCE_ALPHABET",
    "CLAIM_REFERENCE_PATTERN",
    "AssociatePin",
    "Claim",
    "ClaimAttachment",
    "ClaimQuerySet",
    "ClaimSave",
    "ClaimStateChange",
    "Lockout",
    "ManagerAction",
    "PhotoHash",
    "Product",
    "RiskDecision",
    "RiskSignal",
    "Store",
    "DeliveryAttempt",
    "Tablet",
    "UserLanguage",
    "Variant",
    "WebhookEvent",
    "WorkerHeartbeat",
    "attachment_upload_to",
    "editable_claims",
    "new_claim_reference",
    "thumbnail_upload_to",
    "variant_search_text",
    "variants_search_text_refresh",
]
