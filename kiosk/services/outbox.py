"""The tablet's outbox: what it kept while offline, sent later in its associate's name.

The tablet keeps saves, photos, new claims and submits it could not send, and sends
them when the connection is back, possibly while it is locked (no PIN session). Each
page an associate unlocked carries a signed token naming the tablet and them: the
outbox sends it with what it kept, so that the server acts for that associate, on
that tablet only, for KIOSK_OUTBOX_TOKEN_SECONDS, and never logs anyone in.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.utils import timezone

from kiosk.models import Tablet
from kiosk.services.tablets import pin_holders

OUTBOX_SALT = "kiosk.outbox"
# A tablet reports how many claims wait on it; more than this is not a count.
WAITING_MAX = 10_000


def outbox_token(*, tablet: Tablet, user: AbstractBaseUser) -> str:
    """A token for the outbox: it sends what `user` wrote on `tablet`, without their PIN."""
    return signing.TimestampSigner(salt=OUTBOX_SALT).sign(f"{tablet.pk}:{user.pk}")


def outbox_user(*, token: str, tablet: Tablet) -> AbstractBaseUser | None:
    """The associate an outbox token was given to, or None.

    None unless the signature is genuine and at most KIOSK_OUTBOX_TOKEN_SECONDS old,
    it was given on this tablet, and the associate can still unlock it: active, a
    PIN holder (kiosk.services.tablets.pin_holders) with a PIN, at the tablet's store.
    """
    try:
        value = signing.TimestampSigner(salt=OUTBOX_SALT).unsign(
            token, max_age=settings.KIOSK_OUTBOX_TOKEN_SECONDS
        )
    except signing.BadSignature:  # expired included
        return None
    tablet_id, _, user_id = value.partition(":")
    if tablet_id != str(tablet.pk) or not (user_id.isascii() and user_id.isdigit()):
        return None
    holders = pin_holders().filter(stores=tablet.store_id, kiosk_pin__isnull=False)
    return holders.filter(pk=int(user_id)).first()


def tablet_report_waiting(*, tablet: Tablet, count: int) -> None:
    """Note how many claims the tablet says wait on it to send (the desk shows it)."""
    Tablet.objects.filter(pk=tablet.pk).update(
        waiting_claims=min(max(count, 0), WAITING_MAX), waiting_reported_at=timezone.now()
    )
