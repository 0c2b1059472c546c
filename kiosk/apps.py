from django.apps import AppConfig


class KioskConfig(AppConfig):
    name = "kiosk"
    verbose_name = "Store claims"

    def ready(self) -> None:
        from kiosk import checks  # noqa: F401  (registers the system checks)
