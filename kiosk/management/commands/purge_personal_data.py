from django.conf import settings
from django.core.management.base import BaseCommand

from kiosk.services.retention import personal_data_purge


class Command(BaseCommand):
    help = (
        "Remove the customer's data (contact, names, address, descriptions, the sent body, "
        "signature and photo files) from claims submitted more than "
        "PERSONAL_DATA_RETENTION_DAYS days ago, keeping the audit skeleton and a hash of the "
        "sent body; delete drafts untouched for DRAFT_PURGE_AFTER_DAYS days. Idempotent, in "
        "batches: run it daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=settings.PERSONAL_DATA_RETENTION_DAYS,
            help="Claims submitted longer ago than this (default %(default)s).",
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, older_than_days: int, batch_size: int, **options):
        report = personal_data_purge(older_than_days=older_than_days, batch_size=batch_size)
        self.stdout.write(
            f"Personal data removed from {report.claims} claim(s), with {report.files_removed} "
            f"file(s); {report.drafts_deleted} old draft(s) deleted."
        )
