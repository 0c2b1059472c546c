"""Quotas: what one associate can make the portal keep, so that nobody fills the disk or
the database from a tablet.

Four caps, each a setting (docs/security.md#quotas): the drafts an associate has open
(DRAFTS_OPEN_MAX_PER_ASSOCIATE); the photos on one claim (PHOTOS_PER_CLAIM) and their
stored bytes (PHOTOS_MAX_BYTES_PER_CLAIM); the input a draft keeps while it is not valid
yet (PENDING_INPUT_MAX_BYTES). Each refusal says what the limit is and the way out.
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kiosk.models import Claim, ClaimAttachment

# The outbox replays claims that a tablet already holds (kiosk.outbox_views): they may go
# past DRAFTS_OPEN_MAX_PER_ASSOCIATE, up to this many times it (see associate_check_drafts_room).
OUTBOX_DRAFTS_FACTOR = 2


class DraftLimitReached(Exception):
    """The associate has as many drafts open as they may; the message says the way out."""

    def __init__(self, *, count: int, most: int):
        self.count, self.most = count, most
        super().__init__(
            ngettext(
                "You have %(count)s claim not finished yet, the most one associate can "
                "have open. Finish or discard one of your claims below, then start the "
                "new one: what you typed is still here.",
                "You have %(count)s claims not finished yet, the most one associate can "
                "have open. Finish or discard one of your claims below, then start the "
                "new one: what you typed is still here.",
                count,
            )
            % {"count": count}
        )


def associate_drafts(*, associate: AbstractBaseUser):
    """Every draft the associate started, at any store, however old (until the purge)."""
    return Claim.objects.filter(created_by=associate, status=Claim.Status.DRAFT)


def associate_check_drafts_room(*, associate: AbstractBaseUser, kept_on_tablet: bool = False):
    """Whether the associate may open one more draft; DraftLimitReached if not.

    Every draft counts, not only the recent ones the start screen lists: a draft left
    behind keeps its photos until purge_abandoned_drafts and its row until the purge
    of personal data, and a cap on recent drafts alone would let old ones be touched
    back to life without end.

    `kept_on_tablet`: a claim that a tablet made while it was offline and its outbox
    sends now. It exists already, typed and photographed on the tablet, and nobody may
    be at the tablet to make room: refused, it would be stuck there (a refused start
    holds back the whole claim) and lost when dismissed. So it goes past the cap, as
    far as OUTBOX_DRAFTS_FACTOR times it, which keeps the outbox from being a way
    around the cap; beyond that it is held on the tablet, never refused
    (kiosk.outbox_views), until drafts are finished or discarded.

    Run it in the transaction that inserts the draft: the associate's row is locked
    (on PostgreSQL), so two starts at once do not both take the last place.
    """
    most = settings.DRAFTS_OPEN_MAX_PER_ASSOCIATE
    if kept_on_tablet:
        most *= OUTBOX_DRAFTS_FACTOR
    get_user_model().objects.select_for_update().filter(pk=associate.pk).exists()
    count = associate_drafts(associate=associate).count()
    if count >= most:
        raise DraftLimitReached(count=count, most=most)


def claim_check_photo_limit(
    *,
    claim: Claim,
    kind: str,
    adding: int,
    also_adding: int = 0,
    adding_bytes: int = 0,
    also_adding_bytes: int = 0,
) -> None:
    """Whether `adding` photos of `kind` fit under PHOTOS_PER_CLAIM, and their stored
    `adding_bytes` under PHOTOS_MAX_BYTES_PER_CLAIM; ValidationError if not.

    Every kind but signatures counts, with `also_adding` photos (`also_adding_bytes`) of
    other kinds that come with them. A product image replaces the one before it, so that
    one does not count against a new product image. Both ways photos arrive check it
    here: the step's form (kiosk.forms.base) and the background upload (claim_add_photos).
    """
    photos = claim.attachments.current().exclude(kind=ClaimAttachment.Kind.SIGNATURE)
    if kind == ClaimAttachment.Kind.PRODUCT:
        photos = photos.exclude(kind=kind)
    counted = photos.count() + also_adding
    if counted + adding > settings.PHOTOS_PER_CLAIM:
        raise ValidationError(
            _(
                "A claim can have at most %(most)s photos; it has %(count)s. "
                "Remove one to add another."
            )
            % {"most": settings.PHOTOS_PER_CLAIM, "count": counted}
        )
    claim_check_photo_bytes(
        claim=claim, kind=kind, adding_bytes=adding_bytes, also_adding_bytes=also_adding_bytes
    )


def claim_check_photo_bytes(
    *, claim: Claim, kind: str, adding_bytes: int, also_adding_bytes: int = 0
) -> None:
    """Whether photos of `adding_bytes` (stored, i.e. normalised) fit under
    PHOTOS_MAX_BYTES_PER_CLAIM with what the claim holds; ValidationError if not.

    Counted as PHOTOS_PER_CLAIM counts (claim_check_photo_limit):
    every kind but signatures, a new product image replacing the one before it, and
    `also_adding_bytes` of other photos that come in the same post.
    """
    photos = claim.attachments.current().exclude(kind=ClaimAttachment.Kind.SIGNATURE)
    if kind == ClaimAttachment.Kind.PRODUCT:
        photos = photos.exclude(kind=kind)
    stored = photos.aggregate(total=Sum("size"))["total"] or 0
    total = stored + also_adding_bytes + adding_bytes
    most = settings.PHOTOS_MAX_BYTES_PER_CLAIM
    if total > most:
        raise ValidationError(
            _(
                "This photo does not fit: the claim's photos would take %(total)s, and "
                "they can take at most %(most)s. Remove a photo to add this one."
            )
            % {"total": filesizeformat(total), "most": filesizeformat(most)},
            code="photo_bytes",
        )


@dataclass(frozen=True)
class PendingFit:
    """A step's input that does not validate, as the draft can keep it: `typed` fits
    under PENDING_INPUT_MAX_BYTES with the other steps' kept input; `not_kept` names
    the fields whose values had to be left out."""

    typed: dict[str, list[str]]
    not_kept: tuple[str, ...] = ()


def pending_input_size(pending: dict) -> int:
    """The bytes the draft's kept input takes, as its JSON column stores it."""
    return len(json.dumps(pending).encode())


def pending_input_fit(
    *, pending: dict, slug: str, typed: dict[str, list[str]], invalid: frozenset[str]
) -> PendingFit:
    """Fit one step's `typed` input into the draft's kept input (`pending`, every step's).

    The total is capped, not only each value (kiosk.forms.base.PENDING_VALUE_MAX_CHARS):
    each field keeps at most one value, and a page's many fields would otherwise let
    one save keep megabytes. What does not fit is left out a field at a time, the
    fields that failed their checks (`invalid`) first and the largest first, so that
    what is valid is the last to go; the rest is kept whole. Nothing valid of the step
    is lost either way: a step whose input validates is saved to the claim, not kept.
    """
    others = {key: value for key, value in pending.items() if key != slug}
    most = settings.PENDING_INPUT_MAX_BYTES

    def size(kept: dict) -> int:
        return pending_input_size(others | {slug: {"data": kept, "checked": True}})

    kept = dict(typed)
    if size(kept) <= most:
        return PendingFit(typed=kept)
    not_kept = []
    by_weight = sorted(
        kept, key=lambda name: (name not in invalid, -pending_input_size(kept[name]))
    )
    for name in by_weight:
        del kept[name]
        not_kept.append(name)
        if size(kept) <= most:
            break
    return PendingFit(typed=kept, not_kept=tuple(not_kept))


def pending_not_kept_message(*, labels: list[str]) -> str:
    """What the associate is told when input was left out of the draft."""
    return _(
        "Too long to keep on the draft, so not saved: %(fields)s. A draft keeps at most "
        "%(most)s of input that is not valid yet; shorten it and correct it."
    ) % {"fields": ", ".join(labels), "most": filesizeformat(settings.PENDING_INPUT_MAX_BYTES)}
