"""The load benchmark's data, run inside the portal's own settings (a process of its own).

    python -m bench.load.seed seed --tablets 50 --out tablets.json
    python -m bench.load.seed count --out counts.json

``seed`` makes one store with a manager and, per virtual tablet, an associate with a PIN
and a signed-in tablet; it writes what a tablet holds (its cookie) and what its associate
knows (their PIN) as JSON. ``count`` writes the claims by status and attention reason,
with the claim numbers of the filed ones, for the check after the run.
"""

import argparse
import json
import random
import sys
from pathlib import Path

STORE_ID = "store_load_001"


def seed(*, tablets: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import transaction

    from kiosk.choices import Resolution
    from kiosk.models import Store
    from kiosk.roles import ASSOCIATES, STORE_MANAGERS
    from kiosk.services.tablets import _pin_is_trivial, pin_set, tablet_sign_in

    user_model = get_user_model()
    pins = random.Random(21)
    with transaction.atomic():
        store = Store.objects.create(
            source_store_id=STORE_ID,
            name="Load Store — Monday morning",
            default_country="US",
            default_state="US-NY",
            time_zone="America/New_York",
            default_resolution=Resolution.RESHIP,
        )
        manager = user_model.objects.create_user(username="load-manager", is_staff=True)
        manager.set_unusable_password()
        manager.save()
        manager.groups.set([Group.objects.get(name=STORE_MANAGERS)])
        store.members.add(manager)
        associates_group = Group.objects.get(name=ASSOCIATES)
        seeded = []
        for number in range(tablets):
            associate = user_model.objects.create_user(
                username=f"load-associate-{number:03d}",
                first_name="Associate",
                last_name=f"{number:03d}",
            )
            associate.set_unusable_password()
            associate.save()
            associate.groups.set([associates_group])
            store.members.add(associate)
            pin = _pin(pins, _pin_is_trivial)
            pin_set(user=associate, pin=pin, by=None)
            _tablet, cookie = tablet_sign_in(store=store, name=f"Counter {number}", manager=manager)
            seeded.append({"user_id": associate.pk, "pin": pin, "cookie": cookie})
    return {"store": store.pk, "tablets": seeded}


def _pin(pins: random.Random, trivial) -> str:
    while True:
        pin = f"{pins.randrange(10**6):06d}"
        if not trivial(pin):
            return pin


def count() -> dict:
    from django.db.models import Count

    from kiosk.models import Claim

    rows = (
        Claim.objects.values("status", "attention_reason")
        .annotate(n=Count("pk"))
        .order_by("status", "attention_reason")
    )
    filed = Claim.objects.filter(status=Claim.Status.FILED)
    return {
        "by_status": [
            {"status": row["status"], "reason": row["attention_reason"] or "", "count": row["n"]}
            for row in rows
        ],
        "filed_numbers": list(filed.values_list("claim_number", flat=True)),
        # Why each claim that needs attention does (the API's words, shortened).
        "attention": [
            f"{reference} ({reason}): {error[:200]}"
            for reference, reason, error in Claim.objects.filter(
                status=Claim.Status.NEEDS_ATTENTION
            ).values_list("reference", "attention_reason", "last_error")
        ],
        "references": list(
            Claim.objects.exclude(status=Claim.Status.DRAFT).values_list("reference", flat=True)
        ),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load.seed")
    parser.add_argument("action", choices=("seed", "count"))
    parser.add_argument("--tablets", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    import django

    django.setup()
    result = seed(tablets=args.tablets) if args.action == "seed" else count()
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
