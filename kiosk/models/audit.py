from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiosk.models.claim import Claim


class ManagerAction(models.Model):
    """What a manager did at the desk, who did it, when and why. Append-only."""

    class Action(models.TextChoices):
        RETRY = "retry", _("Retried delivery")
        EXPORT = "export", _("Exported claims")
        LOCKOUT_CLEAR = "lockout_clear", _("Cleared a lockout")
        CATALOG_IMPORT = "catalog_import", _("Imported a catalog file")

    action = models.CharField(max_length=16, choices=Action)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="manager_actions"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    reason = models.TextField(blank=True)
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="manager_actions"
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.user} at {self.at:%Y-%m-%d %H:%M:%S}"
