import re
import secrets
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiosk.choices import (
    ClaimCategory,
    ClaimFiledFrom,
    IssueType,
    Language,
    Resolution,
    SalesChannel,
)
from kiosk.models.store import Store

if TYPE_CHECKING:
    from kiosk.models.attachment import ClaimAttachment


# No 0/O or 1/I/L: read aloud at the counter, or copied by hand, without a mix-up.
CLAIM_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
# A local reference, the server's or one a tablet made offline (kiosk.js): the same format.
CLAIM_REFERENCE_PATTERN = re.compile(r"R-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}")


def new_claim_reference() -> str:
    # Short enough to read aloud at the counter; 32**8 values.
    return "R-" + "".join(secrets.choice(CLAIM_REFERENCE_ALPHABET) for _ in range(8))


def editable_claims() -> models.Q:
    """Drafts, and claims the API rejected: the associate may correct and resubmit them."""
    return models.Q(status=Claim.Status.DRAFT) | models.Q(
        status=Claim.Status.NEEDS_ATTENTION, attention_reason=Claim.AttentionReason.REJECTED
    )


class EmailKey(models.Func):
    """An email lower-cased, without a "+tag" in its mailbox name ("Jane+Shop@x.com" is
    "jane@x.com"): the same mailbox, as kiosk.risk.identity matches it. An email holds one
    "@" and no "+" after it (EmailField), so the first "+" starts the tag.

    An expression over the column rather than a stored column, so that nothing has to keep
    it up to date: the index claim_email_key is on `EmailKey("customer_email")`, and a query
    that filters on exactly that uses it. Its SQL holds its constants itself: SQLite matches
    an expression index only when the query's expression is the same text, which bound
    parameters (Value("+")) are not. Changing the SQL means a migration to rebuild the index.
    """

    arity = 1
    output_field = models.CharField()
    template = (
        "CASE WHEN %(find)s(%(expressions)s, '+') > 0 "
        "THEN substr(lower(%(expressions)s), 1, %(find)s(%(expressions)s, '+') - 1) "
        "|| substr(lower(%(expressions)s), %(find)s(%(expressions)s, '@')) "
        "ELSE lower(%(expressions)s) END"
    )

    def as_sql(self, compiler, connection, **extra_context):
        # The position of a substring: instr() on SQLite, strpos() on PostgreSQL.
        extra_context.setdefault("find", "instr" if connection.vendor == "sqlite" else "strpos")
        return super().as_sql(compiler, connection, **extra_context)


class ClaimQuerySet(models.QuerySet):
    def editable(self) -> "ClaimQuerySet":
        return self.filter(editable_claims())

    def submitted(self) -> "ClaimQuerySet":
        return self.exclude(editable_claims())

    def undelivered(self) -> "ClaimQuerySet":
        return self.filter(status__in=Claim.UNDELIVERED_STATUSES)


class Claim(models.Model):
    """One warranty claim, from draft to filed, with everything collected."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        QUEUED = "queued", _("Queued for delivery")
        SENDING = "sending", _("Sending")
        # The last request may have filed the claim: it is looked up before it is sent again.
        OUTCOME_UNKNOWN = "outcome_unknown", _("Outcome unknown")
        FILED = "filed", _("Filed")
        NEEDS_ATTENTION = "needs_attention", _("Needs attention")

    class AttentionReason(models.TextChoices):
        REJECTED = "rejected", _("Rejected: the associate can correct it")
        REFUSED = "refused", _("Refused by OrderProtection")
        CONFIGURATION = "configuration", _("Configuration or credentials refused")
        GAVE_UP = "gave_up", _("Delivery gave up")
        UNRESOLVED = "unresolved", _("May already be filed")
        # Our own photo could not be fetched for too long: media serving, not the associate.
        IMAGE_FETCH = "image_fetch", _("OrderProtection could not fetch the photos")

    class RiskLevel(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    class CustomerCopyStatus(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        NO_EMAIL = "no_email", _("Not sent: no email address")

    # Claims waiting for their next delivery attempt.
    WAITING_STATUSES = (Status.QUEUED, Status.OUTCOME_UNKNOWN)
    # Claims on their way to the API, or stopped on the way.
    IN_FLIGHT_STATUSES = (*WAITING_STATUSES, Status.SENDING)
    UNDELIVERED_STATUSES = (*IN_FLIGHT_STATUSES, Status.NEEDS_ATTENTION)

    # The portal's own name for the claim, from its first save: shown until it is filed.
    reference = models.CharField(max_length=12, unique=True, default=new_claim_reference)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="claims")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)
    # Our delivery of the claim; what OrderProtection decided about it is `claim_state`.
    status = models.CharField(
        "delivery status", max_length=16, choices=Status, default=Status.DRAFT, db_index=True
    )
    attention_reason = models.CharField(max_length=16, choices=AttentionReason, blank=True)
    # OrderProtection's sourceOrderId for the filed claim: what the customer quotes.
    claim_number = models.CharField("claim number", max_length=64, blank=True, db_index=True)

    # Customer
    # What the customer reads and signs (the review, the printed and emailed copies) is in
    # this language; the associate's pages stay in theirs. Never part of what is sent.
    customer_language = models.CharField(
        _("customer's language"), max_length=8, choices=Language, default=Language.ENGLISH
    )
    customer_email = models.EmailField(blank=True)
    customer_phone = models.CharField(max_length=20, blank=True, help_text="E.164")

    # Item
    item_name = models.CharField(max_length=200, blank=True)
    item_sku = models.CharField("SKU", max_length=100, blank=True)
    item_source_product_id = models.CharField(max_length=100, blank=True)
    item_source_variant_id = models.CharField(max_length=100, blank=True)
    item_source_item_id = models.CharField(max_length=100, blank=True)
    item_price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    item_details = models.TextField(blank=True)
    item_sub_issue_id = models.CharField(max_length=100, blank=True)
    # The catalog's variant the associate picked: its ids and image are sent with the item.
    catalog_variant = models.ForeignKey(
        "kiosk.Variant", on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    item_product_image_url = models.URLField("product image URL", max_length=1000, blank=True)

    # Warranty
    date_of_purchase = models.DateField(null=True, blank=True)
    receipt_required = models.BooleanField(default=True)
    warranty_period = models.CharField(max_length=32, blank=True)
    product_description = models.TextField(blank=True)
    # Why a claim with an expired warranty is filed anyway; kept here, not sent to the API.
    warranty_override_reason = models.TextField(blank=True)

    # Shipping address
    ship_first_name = models.CharField(max_length=100, blank=True)
    ship_last_name = models.CharField(max_length=100, blank=True)
    ship_address1 = models.CharField(max_length=200, blank=True)
    ship_address2 = models.CharField(max_length=200, blank=True)
    ship_city = models.CharField(max_length=100, blank=True)
    ship_zip = models.CharField(max_length=20, blank=True)
    ship_country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    ship_state = models.CharField(max_length=10, blank=True, help_text="ISO 3166-2, e.g. US-NY")
    ship_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    ship_lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    address_origin = models.CharField(max_length=64, blank=True)

    # Issue and resolution
    sales_channel = models.CharField(max_length=16, choices=SalesChannel, blank=True)
    claim_category = models.CharField(max_length=16, choices=ClaimCategory, blank=True)
    issue_type = models.CharField(max_length=32, choices=IssueType, blank=True)
    resolution = models.CharField(max_length=16, choices=Resolution, blank=True)
    claim_filed_from = models.CharField(max_length=16, choices=ClaimFiledFrom, blank=True)
    from_valet = models.BooleanField(default=False)
    require_customer_signature = models.BooleanField(default=False)

    # The draft's progress: steps completed, and input that did not validate
    # yet, kept so that a reload shows it again.
    completed_steps = models.JSONField(default=list, blank=True)
    pending_input = models.JSONField(default=dict, blank=True)
    # Which input was saved last: the step page's render time (server clock, ms) and
    # the tablet's count of saves from that page. A background save that arrives
    # after a later one is ignored (kiosk.services.drafts.claim_save_step).
    input_page_rendered_at = models.BigIntegerField(null=True, blank=True, editable=False)
    input_sequence = models.PositiveIntegerField(default=0, editable=False)

    # The exchange with the API.
    request_payload = models.JSONField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_field = models.CharField(max_length=100, blank=True)

    # Delivery: the current round started at queued_at (a manager's retry starts
    # a new one); sending_started_at is set while one sender holds the claim.
    queued_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    sending_started_at = models.DateTimeField(null=True, blank=True)
    # Start of the first attempt of this round whose outcome is unknown: OrderProtection is
    # searched from then on before the claim is sent again.
    unknown_outcome_since = models.DateTimeField(null=True, blank=True)
    possible_duplicates = models.JSONField(
        default=list,
        blank=True,
        help_text="Other claim numbers OrderProtection gave this claim (a second filing).",
    )

    # After filing: what OrderProtection decides (webhooks and polling).
    # OrderProtection's own id for the claim (a cuid): its webhooks and reads name it.
    orderprotection_id = models.CharField("OrderProtection id", max_length=64, blank=True)
    claim_state = models.CharField(
        "state at OrderProtection", max_length=32, blank=True, db_index=True
    )
    claim_state_at = models.DateTimeField("state since", null=True, blank=True)
    claim_state_as_of = models.DateTimeField(
        "state as of",
        null=True,
        blank=True,
        help_text="Time of the newest news the state rests on: an older event changes nothing.",
    )
    op_resolution = models.CharField("OrderProtection's resolution", max_length=64, blank=True)
    op_denial_reason = models.CharField("denial reason", max_length=64, blank=True)
    state_next_check_at = models.DateTimeField(null=True, blank=True)
    state_check_interval = models.PositiveIntegerField(default=0, help_text="Seconds.")

    # The customer's copy (email), sent once after the associate submits.
    customer_copy_status = models.CharField(
        max_length=16, choices=CustomerCopyStatus, blank=True, db_index=True
    )
    customer_copy_sent_at = models.DateTimeField(null=True, blank=True)
    customer_copy_error = models.TextField(blank=True)

    # Risk (kiosk.risk): our own score from the claim's signals, for managers; never sent.
    risk_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    risk_level = models.CharField(
        max_length=8, choices=RiskLevel, blank=True, editable=False, db_index=True
    )
    risk_scored_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When an assessment was queued that has not started yet (kiosk.risk.tasks): while
    # set, a match queues no other (the queued one, still to come, will find it).
    risk_queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The latest manager's decision (kiosk.models.RiskDecision), for the list's filter.
    risk_verdict = models.CharField(max_length=16, blank=True, editable=False)

    # Retention (manage.py purge_personal_data): after PERSONAL_DATA_RETENTION_DAYS the
    # customer's data is removed; the audit skeleton and the sent body's hash stay.
    personal_data_purged_at = models.DateTimeField(null=True, blank=True)
    request_payload_sha256 = models.CharField(max_length=64, blank=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["store", "status", "-created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["state_next_check_at"]),
            models.Index(fields=["orderprotection_id"]),
            # The manager's desk: its ordering, date range and searches (see docs/desk.md).
            # The list's order, with what its scope and default filter test: a deep page
            # skips its rows in this index alone (an index-only scan).
            models.Index(
                fields=["-submitted_at", "-id", "store", "status", "attention_reason"],
                name="claim_list_newest",
            ),
            models.Index(fields=["store", "submitted_at"], name="claim_store_submitted"),
            models.Index(fields=["store", "attention_reason"], name="claim_store_attention"),
            models.Index(Lower("customer_email"), name="claim_email_ci"),
            models.Index(fields=["customer_phone"], name="claim_phone"),
            # Risk signals (kiosk.risk): the same mailbox under a "+tag", the same item.
            models.Index(EmailKey("customer_email"), name="claim_email_key"),
            models.Index(fields=["item_source_item_id"], name="claim_source_item"),
            models.Index(Lower("ship_last_name"), name="claim_last_name_ci"),
            models.Index(Lower("ship_first_name"), name="claim_first_name_ci"),
            models.Index(Lower("item_sku"), name="claim_sku_ci"),
        ]
        permissions = [
            ("retry_delivery", "Can retry the delivery of claims that need attention"),
            ("export_claims", "Can export claims to CSV"),
        ]

    def __str__(self) -> str:
        return self.claim_number or self.reference

    @property
    def is_editable(self) -> bool:
        """A draft, or a claim the API rejected: the associate may correct and resubmit it."""
        return self.status == self.Status.DRAFT or (
            self.status == self.Status.NEEDS_ATTENTION
            and self.attention_reason == self.AttentionReason.REJECTED
        )

    @property
    def is_on_its_way(self) -> bool:
        return self.status in self.IN_FLIGHT_STATUSES

    @property
    def status_label(self) -> str:
        if self.status == self.Status.NEEDS_ATTENTION and self.attention_reason:
            return _("Needs attention: %(reason)s") % {
                "reason": self.get_attention_reason_display()
            }
        return self.get_status_display()

    @property
    def customer_name(self) -> str:
        """The customer's name as saved, or as typed on a step that is not saved yet."""
        names = [self.ship_first_name, self.ship_last_name]
        if not any(names):
            typed = self.pending_input.get("customer", {}).get("data", {})
            names = [(typed.get(key) or [""])[-1] for key in ("ship_first_name", "ship_last_name")]
        return " ".join(name for name in names if name)

    @property
    def item_name_given(self) -> str:
        """The item's name as saved, or as typed on an item page that is not complete yet
        (a photo still missing, say): the start screen names the draft by it."""
        if self.item_name:
            return self.item_name
        typed = self.pending_input.get("item", {}).get("data", {})
        return (typed.get("item_name") or [""])[-1].strip()

    def attachments_of(self, kind: str) -> list["ClaimAttachment"]:
        """The claim's current photos (or signature) of this kind, removed ones left out."""
        return [a for a in self.attachments.all() if a.kind == kind and a.removed_at is None]
