from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kiosk.demo.catalog import demo_catalog_load
from kiosk.demo.seed import DemoSetup, demo_remove, demo_setup

# `make run` and `make dev` create the demo logins; the make target runs the command below
# in their environment.
REMOVE_COMMAND = "make demo-remove (manage.py seed_demo --remove)"


class Command(BaseCommand):
    help = (
        "Create the demo store with an associate and a manager once, and print their logins; "
        "load the demo catalog (kiosk/demo/catalog.csv) into it. Later runs change nothing "
        "(no password or PIN is reset). --remove removes the logins."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DEBUG off (the demo passwords are public).",
        )
        parser.add_argument(
            "--remove",
            action="store_true",
            help="Remove the demo logins (deactivate those that claims name); they are not "
            "created again.",
        )

    def handle(self, *args, allow_production: bool = False, remove: bool = False, **options):
        if remove:
            self._remove()
            return
        if not settings.DEBUG and not allow_production:
            raise CommandError("Demo logins have public passwords: run with DEBUG=true only.")
        setup = demo_setup()
        self._report(setup)
        catalog = demo_catalog_load(store=setup.store)
        self.stdout.write(
            f"  Demo catalog: {catalog.variants_created} variant(s) added, "
            f"{catalog.variants_updated} updated, {catalog.variants_unchanged} already there."
        )
        for error in catalog.errors:
            self.stdout.write(self.style.WARNING(f"  Demo catalog refused: {error}"))

    def _report(self, setup: DemoSetup) -> None:
        store = setup.store
        self.stdout.write(
            self.style.SUCCESS(f"Demo store: {store.name} (storeId {store.source_store_id})")
        )
        for login in setup.created:
            pin = f"   PIN: {login.pin}" if login.pin else ""
            self.stdout.write(
                f"  {login.role:<10} username: {login.username:<10} password: {login.password}"
                + pin
            )
        for login in setup.existing:
            self.stdout.write(
                f"  {login.role:<10} username: {login.username:<10} exists (created earlier; "
                "its password and PIN are never reset here)"
            )
        if not setup.created and not setup.existing:
            self.stdout.write("  The demo logins were removed; they are not created again.")
            return
        if setup.created:
            self.stdout.write(
                "  A tablet: log in as the manager, press “Sign this tablet in to a store”, "
                "then unlock it with the associate's PIN."
            )
        self.stdout.write(
            self.style.WARNING(
                "  The demo passwords are public until changed. Remove the demo logins with: "
                + REMOVE_COMMAND
            )
        )

    def _remove(self) -> None:
        removal = demo_remove()
        for username in removal.deleted:
            self.stdout.write(f"Removed the demo login {username}.")
        for username in removal.deactivated:
            self.stdout.write(
                f"Deactivated the demo login {username} (its claims keep it): it can no longer "
                "log in or unlock a tablet."
            )
        if not removal.deleted and not removal.deactivated:
            self.stdout.write("No demo logins to remove.")
