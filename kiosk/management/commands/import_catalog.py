from django.core.management.base import BaseCommand, CommandError

from kiosk.models import Store
from kiosk.services.catalog_import import FILE_FORMATS, CatalogFileUnreadable, catalog_import


class Command(BaseCommand):
    help = (
        "Import a catalog file (Shopify product CSV, Google Merchant Center feed, or our CSV: "
        "docs/catalog.md) and print what changed. Idempotent: the same file again changes "
        "nothing. Products and variants are created and updated, never deleted; each product "
        "is linked to the stores given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The file to import.")
        parser.add_argument("--format", required=True, choices=sorted(FILE_FORMATS))
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument(
            "--store",
            action="append",
            dest="store_ids",
            metavar="SOURCE_STORE_ID",
            help="A store (its storeId) that sells these products; repeat for several.",
        )
        where.add_argument(
            "--all-stores", action="store_true", help="Every store sells these products."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and count everything; save nothing."
        )

    def handle(self, *args, file, format, store_ids, all_stores, dry_run, **options):
        if all_stores:
            stores = list(Store.objects.all())
        else:
            stores = list(Store.objects.filter(source_store_id__in=store_ids))
            unknown = sorted(set(store_ids) - {store.source_store_id for store in stores})
            if unknown:
                raise CommandError(f"No store with storeId {', '.join(unknown)}.")
        try:
            report = catalog_import(file=file, file_format=format, stores=stores, dry_run=dry_run)
        except OSError as error:
            raise CommandError(f"Cannot open {file}: {error.strerror}.") from None
        except CatalogFileUnreadable as error:
            raise CommandError(f"Nothing imported: {error}") from None
        for line in report.lines():
            self.stdout.write(line)
