from django.conf import settings
from django.core.management.base import BaseCommand

from kiosk.services.retention import abandoned_draft_photos_purge


class Command(BaseCommand):
    help = (
        "Delete the photos and signatures of drafts untouched for longer than "
        "DRAFT_ABANDONED_AFTER_DAYS days; never a file a sent request named. Idempotent: "
        "run it daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=settings.DRAFT_ABANDONED_AFTER_DAYS,
            help="Drafts untouched for longer than this (default %(default)s).",
        )

    def handle(self, *args, older_than_days: int, **options):
        report = abandoned_draft_photos_purge(older_than_days=older_than_days)
        self.stdout.write(
            f"{report.files_removed} photo(s) and signature(s) removed from {report.drafts} "
            f"abandoned draft(s); {report.kept_because_sent} kept because a sent request "
            "named them."
        )
