"""The API's enums, each value with the label an associate reads."""

from django.conf import settings
from django.db import models


class SalesChannel(models.TextChoices):
    IN_STORE = "IN_STORE", "In store"
    ONLINE = "ONLINE", "Online"


class ClaimCategory(models.TextChoices):
    WARRANTY = "WARRANTY", "Warranty"
    SHIPPING = "SHIPPING", "Shipping"


class IssueType(models.TextChoices):
    DEFECTIVE_ITEM = "DEFECTIVE_ITEM", "Defective item"
    DAMAGED = "DAMAGED", "Damaged"
    WRONG_ITEM = "WRONG_ITEM", "Wrong item"
    MISSING_ITEM = "MISSING_ITEM", "Missing item or part"
    STOLEN = "STOLEN", "Stolen"
    ORDER_DELIVERED_NOT_RECEIVED = "ORDER_DELIVERED_NOT_RECEIVED", "Delivered but not received"
    RETURNED_TO_SENDER = "RETURNED_TO_SENDER", "Returned to sender"
    TRACKING_NOT_MOVING = "TRACKING_NOT_MOVING", "Tracking not moving"
    WRONG_ADDRESS = "WRONG_ADDRESS", "Wrong address"
    MULTIPLE = "MULTIPLE", "More than one issue"


def issue_types_offered(category: str) -> list[str]:
    """The issue types the tablet offers on a claim of this category, in the order of
    ISSUE_TYPES_BY_CATEGORY (OrderProtection's docs do not say which types go with which
    category, so it is a setting); every type for a category it does not name."""
    offered = settings.ISSUE_TYPES_BY_CATEGORY.get(category)
    return list(dict.fromkeys(offered)) if offered else list(IssueType.values)


class Resolution(models.TextChoices):
    REFUND = "REFUND", "Refund"
    RESHIP = "RESHIP", "Replacement shipped"
    STORE_CREDIT = "STORE_CREDIT", "Store credit"


class ClaimFiledFrom(models.TextChoices):
    EXTERNAL = "EXTERNAL", "External"
    INTERNAL = "INTERNAL", "Internal"
