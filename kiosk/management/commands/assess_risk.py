import datetime
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from kiosk.models import Claim
from kiosk.risk.scoring import claim_risk_assess

BATCH = 500


class Command(BaseCommand):
    help = (
        "Assess the risk of submitted claims here and now, without the task queue: the "
        "catch-up after a queue outage, or for claims submitted before risk signals existed. "
        "The claims their signals match are assessed again afterwards, once. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--unscored",
            action="store_true",
            help=(
                "Claims never assessed (no risk score), and claims whose queued assessment "
                "again has not started (a lost task)."
            ),
        )
        parser.add_argument(
            "--since", type=int, metavar="DAYS", help="Claims submitted in the last DAYS days."
        )
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="MINUTES",
            help="Only claims submitted at least MINUTES ago (the queue had its chance).",
        )
        parser.add_argument(
            "--claim", metavar="REF", help="One claim, by its local reference or claim number."
        )

    def handle(
        self,
        *args,
        unscored: bool,
        since: int | None,
        older_than: int | None,
        claim: str | None,
        **options,
    ):
        if not (unscored or since is not None or claim):
            raise CommandError("Say which claims: --unscored, --since DAYS or --claim REF.")
        claims = Claim.objects.filter(submitted_at__isnull=False)
        if unscored:
            claims = claims.filter(Q(risk_scored_at__isnull=True) | Q(risk_queued_at__isnull=False))
        if since is not None:
            if since < 0:
                raise CommandError("--since takes a number of days, 0 or more.")
            cutoff = timezone.now() - datetime.timedelta(days=since)
            claims = claims.filter(submitted_at__gte=cutoff)
        if older_than is not None:
            if older_than < 0:
                raise CommandError("--older-than takes a number of minutes, 0 or more.")
            cutoff = timezone.now() - datetime.timedelta(minutes=older_than)
            # A re-assessment waits from when it was queued, not from the submission.
            claims = claims.filter(submitted_at__lte=cutoff).exclude(risk_queued_at__gt=cutoff)
        if claim:
            ref = claim.strip()
            one = Q(reference=ref.upper()) | Q(claim_number=ref)
            if not Claim.objects.filter(one, submitted_at__isnull=False).exists():
                raise CommandError(f"No submitted claim {ref}.")
            claims = claims.filter(one)
        selected = list(claims.order_by("submitted_at", "pk").values_list("pk", flat=True))
        matched: set[int] = set()
        levels: Counter[str] = Counter()
        for start in range(0, len(selected), BATCH):
            batch = selected[start : start + BATCH]
            for pk in batch:
                matched |= claim_risk_assess(claim_pk=pk)
            levels.update(Claim.objects.filter(pk__in=batch).values_list("risk_level", flat=True))
        # They learn of the claims just assessed (a match goes both ways), as the task does.
        again = sorted(matched - set(selected))
        for pk in again:
            claim_risk_assess(claim_pk=pk)
        self.stdout.write(
            f"Assessed {len(selected)} claim(s): {levels[Claim.RiskLevel.HIGH]} high, "
            f"{levels[Claim.RiskLevel.MEDIUM]} medium; "
            f"{len(again)} matched claim(s) assessed again."
        )
