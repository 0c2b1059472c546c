from axes.models import AccessAttempt
from django.conf import settings
from django.db import models
from django.utils import timezone

from kiosk.models.store import Store


class TabletQuerySet(models.QuerySet):
    def signed_in(self) -> "TabletQuerySet":
        return self.filter(signed_out_at__isnull=True, expires_at__gt=timezone.now())


class Tablet(models.Model):
    """A shared store tablet that a manager signed in to one store.

    The tablet holds a secret in a cookie; only its hash is kept here. While it is
    signed in, associates of its store unlock it with their PINs.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="tablets")
    name = models.CharField(max_length=100, help_text="Where it is, e.g. “Counter 1”.")
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    signed_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_in_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(null=True, blank=True)
    signed_out_at = models.DateTimeField(null=True, blank=True)
    signed_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What the tablet last reported as waiting on it to send (its outbox): signing it out
    # while claims wait strands them there.
    waiting_claims = models.PositiveIntegerField(default=0)
    waiting_reported_at = models.DateTimeField(null=True, blank=True)

    objects = TabletQuerySet.as_manager()

    class Meta:
        ordering = ["store__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} at {self.store}"

    @property
    def is_signed_in(self) -> bool:
        return self.signed_out_at is None and self.expires_at > timezone.now()


class AssociatePin(models.Model):
    """An associate's personal PIN for unlocking a store tablet, stored hashed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kiosk_pin"
    )
    pin_hash = models.CharField(max_length=128, editable=False)
    # How many digits, so that the pad unlocks at the last one (KIOSK_PIN_UNLOCK_AT_LAST_DIGIT);
    # null for a PIN set before the length was kept.
    length = models.PositiveSmallIntegerField(null=True, editable=False)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "associate PIN"

    def __str__(self) -> str:
        return f"PIN of {self.user}"


class Lockout(AccessAttempt):
    """django-axes' count of one person's wrong passwords or PINs, as the desk shows it."""

    class Meta:
        proxy = True
        verbose_name = "lockout"
        verbose_name_plural = "lockouts"
