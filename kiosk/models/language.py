from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kiosk.choices import Language


class UserLanguage(models.Model):
    """The language an associate or a manager works in; none chosen: their store's."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="language_setting",
    )
    language = models.CharField(
        max_length=8,
        choices=Language,
        blank=True,
        verbose_name=_("language"),
        help_text=_("The tablet and the desk in this language. Empty: the store's language."),
    )

    def __str__(self) -> str:
        return self.get_language_display() or _("The store's language")
