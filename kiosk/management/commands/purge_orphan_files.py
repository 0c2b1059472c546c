from django.conf import settings
from django.core.management.base import BaseCommand

from kiosk.services.stored_files import orphan_files_purge


class Command(BaseCommand):
    help = (
        "Delete stored photos and signatures that no claim names (left behind by a request "
        "that rolled back), once they are older than MEDIA_ORPHAN_GRACE_SECONDS; never a "
        "file an attachment row or a queued or sent body names. Idempotent: run it with the "
        "daily purges, or more often."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-seconds",
            type=int,
            default=settings.MEDIA_ORPHAN_GRACE_SECONDS,
            help="Files older than this (default %(default)s).",
        )
        parser.add_argument(
            "--every-month",
            action="store_true",
            help="Read every month's folder, not only this month's and last month's.",
        )

    def handle(self, *args, older_than_seconds: int, every_month: bool, **options):
        report = orphan_files_purge(older_than_seconds=older_than_seconds, every_month=every_month)
        self.stdout.write(
            f"{report.files_removed} file(s) no claim names removed; "
            f"{report.kept_because_named} kept because a sent body names them."
        )
