from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class DeskAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with the desk's site (kiosk.admin_site) as the default site."""

    default = False  # named in INSTALLED_APPS; "kiosk" itself is KioskConfig
    default_site = "kiosk.admin_site.DeskAdminSite"


class KioskConfig(AppConfig):
    name = "kiosk"
    verbose_name = "Store claims"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from kiosk import checks  # noqa: F401  (registers the system checks)
        from kiosk.risk.distance import hamming_register
        from kiosk.roles import roles_sync_after_migrate
        from kiosk.services.lockouts import lockout_reset_on_login

        # After django.contrib.auth's own handler has created the permissions.
        post_migrate.connect(roles_sync_after_migrate, sender=self)
        user_logged_in.connect(lockout_reset_on_login, dispatch_uid="kiosk-lockout-reset")
        connection_created.connect(hamming_register, dispatch_uid="kiosk-hamming")
