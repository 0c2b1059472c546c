from django.conf import settings
from django.core.management.base import BaseCommand

from kiosk.followup.polling import claim_states_poll
from kiosk.followup.webhook_events import webhook_events_retry


class Command(BaseCommand):
    help = (
        "Ask OrderProtection for the state of filed claims that are not in a final state "
        "(GET /v1/orders/{sourceOrderId}/claims), for merchants without webhooks; and apply "
        "webhook events that could not be matched to a claim before. Checks each claim "
        "less and less often while nothing changes. Safe to run at any time, e.g. from cron "
        "every few minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit",
            type=int,
            default=settings.CLAIM_STATE_POLL_BATCH,
            help="Most claims checked in this run (default CLAIM_STATE_POLL_BATCH, %(default)s).",
        )
        parser.add_argument(
            "--pause",
            type=float,
            default=settings.CLAIM_STATE_POLL_PAUSE,
            help="Seconds between two calls (default CLAIM_STATE_POLL_PAUSE, %(default)s).",
        )

    def handle(self, *args, limit: int, pause: float, **options):
        retried = webhook_events_retry()
        report = claim_states_poll(limit=limit, pause=pause)
        for reference in report.changed:
            self.stdout.write(f"{reference}: new state recorded")
        for reference in report.failed:
            self.stdout.write(f"{reference}: could not be checked; checked again later")
        if report.stopped_early:
            self.stdout.write(f"Stopped early: {report.stopped_early}")
        self.stdout.write(
            f"{report.checked} claim(s) checked, {len(report.changed)} changed, "
            f"{len(report.failed)} failed; {retried} webhook event(s) tried again."
        )
