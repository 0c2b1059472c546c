"""The API's enums, each value with the label an associate reads."""

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


class Resolution(models.TextChoices):
    REFUND = "REFUND", "Refund"
    RESHIP = "RESHIP", "Replacement shipped"
    STORE_CREDIT = "STORE_CREDIT", "Store credit"


class ClaimFiledFrom(models.TextChoices):
    EXTERNAL = "EXTERNAL", "External"
    INTERNAL = "INTERNAL", "Internal"
