"""The API's enums, each value with the label an associate reads."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SalesChannel(models.TextChoices):
    IN_STORE = "IN_STORE", _("In store")
    ONLINE = "ONLINE", _("Online")


class ClaimCategory(models.TextChoices):
    WARRANTY = "WARRANTY", _("Warranty")
    SHIPPING = "SHIPPING", _("Shipping")


class IssueType(models.TextChoices):
    DEFECTIVE_ITEM = "DEFECTIVE_ITEM", _("Defective item")
    DAMAGED = "DAMAGED", _("Damaged")
    WRONG_ITEM = "WRONG_ITEM", _("Wrong item")
    MISSING_ITEM = "MISSING_ITEM", _("Missing item or part")
    STOLEN = "STOLEN", _("Stolen")
    ORDER_DELIVERED_NOT_RECEIVED = "ORDER_DELIVERED_NOT_RECEIVED", _("Delivered but not received")
    RETURNED_TO_SENDER = "RETURNED_TO_SENDER", _("Returned to sender")
    TRACKING_NOT_MOVING = "TRACKING_NOT_MOVING", _("Tracking not moving")
    WRONG_ADDRESS = "WRONG_ADDRESS", _("Wrong address")
    MULTIPLE = "MULTIPLE", _("More than one issue")


def issue_types_offered(category: str) -> list[str]:
    """The issue types the tablet offers on a claim of this category, in the order of
    ISSUE_TYPES_BY_CATEGORY (OrderProtection's docs do not say which types go with which
    category, so it is a setting); every type for a category it does not name."""
    offered = settings.ISSUE_TYPES_BY_CATEGORY.get(category)
    return list(dict.fromkeys(offered)) if offered else list(IssueType.values)


class Resolution(models.TextChoices):
    REFUND = "REFUND", _("Refund")
    RESHIP = "RESHIP", _("Replacement shipped")
    STORE_CREDIT = "STORE_CREDIT", _("Store credit")


class ClaimFiledFrom(models.TextChoices):
    EXTERNAL = "EXTERNAL", _("External")
    INTERNAL = "INTERNAL", _("Internal")


class Language(models.TextChoices):
    """The portal's languages (settings.LANGUAGES), each with its US formats."""

    ENGLISH = "en-us", _("English")
    SPANISH = "es-us", _("Spanish")
