from django.apps import AppConfig


class KioskConfig(AppConfig):
    name = "kiosk"
    verbose_name = "Store claims"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kiosk import checks  # noqa: F401  (registers the system checks)
        from kiosk.roles import roles_sync_after_migrate

        # After django.contrib.auth's own handler has created the permissions.
        post_migrate.connect(roles_sync_after_migrate, sender=self)
