from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiosk.models.claim import Claim


class DeliveryAttempt(models.Model):
    """One call to the API while delivering a claim (a send, or a lookup before a re-send):
    written before the call, completed after it."""

    class SentFrom(models.TextChoices):
        COUNTER = "counter", _("At the counter")
        WORKER = "worker", _("Background worker")

    class Kind(models.TextChoices):
        SEND = "send", "Send the claim"
        LOOKUP = "lookup", "Look the claim up"

    class Outcome(models.TextChoices):
        """What the call itself came to; the claim's fate is in `decision`."""

        PENDING = "", "No answer recorded yet"
        FILED = "filed", "Filed"
        REJECTED = "rejected", "Rejected"
        UNAUTHORIZED = "unauthorized", "Credentials refused"
        MISCONFIGURED = "misconfigured", "Refused: configuration"
        UNAVAILABLE = "unavailable", "Unavailable"
        UNKNOWN = "unknown", "Outcome unknown"
        FOUND = "found", "Found at OrderProtection"
        NOT_FOUND = "not_found", "Not found at OrderProtection"
        AMBIGUOUS = "ambiguous", "Several candidates found"
        LOOKUP_FAILED = "lookup_failed", "Lookup failed"
        ERROR = "error", "Internal error"
        INTERRUPTED = "interrupted", "Sender stopped"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    url = models.URLField(max_length=300)
    request_body = models.JSONField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="Capped at AUDIT_BODY_MAX_CHARS.")
    outcome = models.CharField(max_length=16, choices=Outcome, blank=True, default=Outcome.PENDING)
    error_class = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    sent_from = models.CharField(max_length=16, choices=SentFrom, default=SentFrom.WORKER)
    kind = models.CharField(max_length=8, choices=Kind, default=Kind.SEND)
    decision = models.CharField(
        max_length=200, blank=True, help_text="What was decided after this attempt."
    )

    class Meta:
        ordering = ["claim", "number"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "number"], name="unique_attempt_number")
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number} for {self.claim}"


class WebhookEvent(models.Model):
    """One event OrderProtection posted to the webhook receiver, kept as it came."""

    event_id = models.CharField(
        max_length=128,
        unique=True,
        help_text="The envelope's id, or sha256: and a digest of the body's canonical JSON.",
    )
    topic = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    occurred_at = models.DateTimeField(
        null=True, blank=True, help_text="The envelope's created_at, if it has one."
    )
    body = models.JSONField()
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="webhook_events"
    )

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.topic} ({self.event_id[:12]})"


class ClaimStateChange(models.Model):
    """A state OrderProtection gave a filed claim, and how the portal learned it."""

    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("Webhook")
        POLL = "poll", _("Polling")
        LOOKUP = "lookup", _("Lookup")

    class Flag(models.TextChoices):
        """Why a state that came was kept in the timeline but not applied to the claim."""

        APPLIED = "", "Applied"
        LATE = "late", "Arrived late"
        UNKNOWN_STATE = "unknown_state", "Unknown state"
        OTHER_STORE = "other_store", "Names another store"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="state_changes")
    state = models.CharField(max_length=64, help_text="As received when it is flagged.")
    resolution = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=16, choices=Source)
    recorded_at = models.DateTimeField(default=timezone.now)
    as_of = models.DateTimeField(
        null=True, blank=True, help_text="The event's own time, else when it was received."
    )
    flag = models.CharField(max_length=16, choices=Flag, blank=True, default=Flag.APPLIED)
    store_id = models.CharField(
        "store named", max_length=64, blank=True, help_text="The storeId the event named."
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.claim} became {self.state}"
