from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiosk.models.claim import Claim


class RiskSignal(models.Model):
    """One reason to look twice at a claim, found by kiosk.risk after it was submitted.

    Ours alone: never sent to OrderProtection, and never a refusal; a manager decides.
    `detail` holds what the words on the desk need (counts, distances, prices), and
    `matched_claim_ids` the other claims it was found with.
    """

    class Code(models.TextChoices):
        PHOTO_COPY = "photo_copy", _("Same photo as another claim")
        PHOTO_LOOKALIKE = "photo_lookalike", _("Photo like one on another claim")
        RECEIPT_REUSE = "receipt_reuse", _("Same receipt as another claim")
        REPEAT_CLAIMANT = "repeat_claimant", _("Repeat claimant")
        SHARED_IDENTITY = "shared_identity", _("Shares contact details with another customer")
        PURCHASE_IN_FUTURE = "purchase_in_future", _("Purchase date in the future")
        PURCHASE_BEFORE_CATALOG = (
            "purchase_before_catalog",
            _("Bought before the product was in the catalog"),
        )
        OUTSIDE_WARRANTY = "outside_warranty", _("Filed outside the warranty")
        PRICE_MISMATCH = "price_mismatch", _("Price far from the catalog's")
        ITEM_OTHER_CUSTOMER = "item_other_customer", _("Same item claimed by another customer")
        ASSOCIATE_VELOCITY = "associate_velocity", _("Associate files far more than usual")
        STORE_VELOCITY = "store_velocity", _("Store files far more than usual")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="risk_signals")
    code = models.CharField(max_length=32, choices=Code)
    weight = models.PositiveSmallIntegerField()
    detail = models.JSONField(default=dict, blank=True)
    matched_claim_ids = models.JSONField(default=list, blank=True)
    # A manager said "looks fine" about this signal (on this claim, or on every claim it
    # matches): it stays on the record and no longer counts.
    quieted_by = models.ForeignKey(
        "RiskDecision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-weight", "code", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "code"], name="risk_signal_once_per_code")
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} on {self.claim}"


class RiskDecision(models.Model):
    """A manager's word on a claim's risk, with the reason: recorded, never edited.

    "Looks fine" quiets the signals the claim had then, for the same claims it matched
    (`quieted`: [code, matched claim id or null] pairs); a new match brings them back.
    """

    class Verdict(models.TextChoices):
        FINE = "fine", _("Looks fine")
        SUSPICIOUS = "suspicious", _("Suspicious")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="risk_decisions")
    verdict = models.CharField(max_length=16, choices=Verdict)
    reason = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="risk_decisions"
    )
    decided_at = models.DateTimeField(default=timezone.now, db_index=True)
    quieted = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        permissions = [("decide_risk", "Can record a decision on a claim's risk")]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()}: {self.claim}"
