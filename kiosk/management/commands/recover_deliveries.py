from django.conf import settings
from django.core.management.base import BaseCommand

from kiosk.delivery.recovery import deliveries_recover


class Command(BaseCommand):
    help = (
        "Requeue claims left 'sending' by a worker that stopped (crash, SIGKILL, restart), "
        "and enqueue again queued claims whose delivery task is overdue. Safe to run at any "
        "time, e.g. from cron every minute."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stuck-after",
            type=float,
            default=settings.DELIVERY_STUCK_AFTER,
            help="Seconds a claim may stay 'sending' before it counts as stuck "
            "(default DELIVERY_STUCK_AFTER, %(default)s).",
        )

    def handle(self, *args, stuck_after: float, **options):
        recovery = deliveries_recover(stuck_after=stuck_after)
        for reference in recovery.requeued:
            self.stdout.write(f"requeued {reference} (was stuck sending)")
        for reference in recovery.reenqueued:
            self.stdout.write(f"enqueued {reference} again (its task was overdue)")
        self.stdout.write(
            f"{len(recovery.requeued)} stuck claim(s) requeued, "
            f"{len(recovery.reenqueued)} overdue claim(s) enqueued again."
        )
