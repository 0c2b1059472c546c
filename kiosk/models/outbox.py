from django.db import models
from django.utils import timezone

from kiosk.models.claim import Claim


class ClaimSave(models.Model):
    """One save of a step that the tablet made with an id: a replay of it is the same save.

    The tablet keeps what it could not send and sends it again, possibly twice; the
    primary key, made on the tablet, lets the database refuse the second one.
    """

    id = models.UUIDField(primary_key=True, editable=False)
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="saves")
    step = models.CharField(max_length=20)
    received_at = models.DateTimeField(default=timezone.now)
    # False when newer input was already saved: this one changed nothing.
    applied = models.BooleanField()

    class Meta:
        ordering = ["received_at"]

    def __str__(self) -> str:
        return f"Save of {self.step} for {self.claim}"
