from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kiosk.services.demo import demo_setup


class Command(BaseCommand):
    help = "Create the demo store with an associate and a manager, and print their logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DEBUG off (the demo passwords are public).",
        )

    def handle(self, *args, allow_production: bool = False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError("Demo logins have public passwords: run with DEBUG=true only.")
        store, logins = demo_setup()
        self.stdout.write(
            self.style.SUCCESS(f"Demo store: {store.name} (storeId {store.source_store_id})")
        )
        for login in logins:
            pin = f"   PIN: {login.pin}" if login.pin else ""
            self.stdout.write(
                f"  {login.role:<10} username: {login.username:<10} password: {login.password}"
                + pin
            )
        self.stdout.write(
            "  A tablet: log in as the manager, press “Sign this tablet in to a store”, then "
            "unlock it with the associate's PIN."
        )
