from django.core.management.base import BaseCommand

from kiosk.demo.sample_data import claims_generate


class Command(BaseCommand):
    help = (
        "Add realistic claims (with their attempts) at N stores over a period, for measuring "
        "the manager's desk at scale, e.g. `generate_claims --count 1000000 --stores 20`. "
        "Uses COPY on PostgreSQL. Not for production databases."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=10_000, help="claims to add")
        parser.add_argument("--stores", type=int, default=20, help="stores to spread them over")
        parser.add_argument("--days", type=int, default=730, help="over the last N days")
        parser.add_argument("--seed", type=int, default=1, help="random seed")

    def handle(self, *args, count, stores, days, seed, **options):
        generated = claims_generate(
            count=count,
            stores=stores,
            days=days,
            seed=seed,
            progress=lambda line: self.stdout.write(line) if options["verbosity"] > 1 else None,
        )
        rate = generated.claims / generated.seconds if generated.seconds else 0
        self.stdout.write(
            f"{generated.claims:,} claims and {generated.attempts:,} attempts at "
            f"{generated.stores} stores in {generated.seconds:.1f} s ({rate:,.0f} claims/s)."
        )
