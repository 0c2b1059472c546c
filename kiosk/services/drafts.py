"""Starting a claim and saving it step by step."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kiosk.models import CLAIM_REFERENCE_PATTERN, Claim, ClaimAttachment, ClaimSave, Store
from kiosk.services.attachments import (
    attachment_delete,
    attachment_discard,
    attachment_prepare,
    attachment_record,
    signatures_replace,
)
from kiosk.services.completeness import claim_step_complete
from kiosk.services.images import NormalisedImage
from kiosk.services.quotas import (
    DraftLimitReached,
    associate_check_drafts_room,
    claim_check_photo_limit,
    pending_input_fit,
)

# The step that collects each kind of photo: removing one means checking it again.
PHOTO_STEPS = {
    ClaimAttachment.Kind.ITEM: "item",
    ClaimAttachment.Kind.PRODUCT: "item",
    ClaimAttachment.Kind.RECEIPT: "warranty",
}


class ClaimNotEditable(Exception):
    """The claim was submitted (or retried by a manager) since the page was shown."""


class ReferenceTaken(Exception):
    """A reference made on a tablet names a claim of another associate, or of another store."""


def claim_start(
    *,
    store: Store,
    associate: AbstractBaseUser,
    reference: str | None = None,
    kept_on_tablet: bool = False,
) -> Claim:
    """Open a draft claim at a store, prefilled from the store's policy.

    `reference` is one the tablet made (offline, or to make its post safe to send twice):
    it must be in the server's own format (CLAIM_REFERENCE_PATTERN; ValueError if not).
    A claim this associate already started with it at this store is returned as it is:
    the same start, sent again. Raises ReferenceTaken if another claim holds it. The
    reference's unique constraint decides, so two requests at once start one claim.

    Raises DraftLimitReached when the associate has DRAFTS_OPEN_MAX_PER_ASSOCIATE drafts
    open; `kept_on_tablet` (the outbox's replay of a claim made offline) goes further
    (kiosk.services.quotas.associate_check_drafts_room).
    """
    if not store.members.filter(pk=associate.pk).exists():
        raise PermissionDenied(_("You do not work at this store."))
    if reference is not None and not CLAIM_REFERENCE_PATTERN.fullmatch(reference):
        raise ValueError(f"Not a claim reference: {reference[:20]!r}.")
    fields = {} if reference is None else {"reference": reference}
    try:
        with transaction.atomic():
            associate_check_drafts_room(associate=associate, kept_on_tablet=kept_on_tablet)
            return _claim_create(store=store, associate=associate, **fields)
    except (IntegrityError, DraftLimitReached):
        # The same start sent again is no new draft, even at the limit.
        started = Claim.objects.filter(reference=reference).first() if reference else None
        if started is None:
            raise  # not the reference after all, or a new draft past the limit
    if started.store_id != store.pk or started.created_by_id != associate.pk:
        raise ReferenceTaken(f"The reference {reference} is another claim's.")
    return started


def _claim_create(*, store: Store, associate: AbstractBaseUser, **fields) -> Claim:
    claim = claim_prefilled(store=store, **fields)
    claim.created_by = associate
    claim.save(force_insert=True)
    return claim


def claim_prefilled(*, store: Store, **fields) -> Claim:
    """A new claim at a store, not saved, prefilled from the store's policy."""
    return Claim(
        store=store,
        receipt_required=store.receipt_required,
        warranty_period=store.default_warranty_period,
        ship_country=store.default_country,
        ship_state=store.default_state,
        address_origin=store.default_address_origin,
        sales_channel=store.default_sales_channel,
        claim_category=store.default_claim_category,
        claim_filed_from=store.default_claim_filed_from,
        resolution=store.default_resolution,
        from_valet=store.default_from_valet,
        require_customer_signature=store.default_require_customer_signature,
        customer_language=store.language,
        **fields,
    )


def associate_open_claims(*, associate: AbstractBaseUser, stores) -> list[Claim]:
    """The associate's claims still to finish: drafts they touched within
    KIOSK_DRAFT_RESUME_SECONDS, and claims the API sent back for a correction."""
    recent = timezone.now() - timedelta(seconds=settings.KIOSK_DRAFT_RESUME_SECONDS)
    claims = Claim.objects.editable().filter(created_by=associate, store__in=stores)
    claims = claims.exclude(status=Claim.Status.DRAFT, updated_at__lt=recent)
    return list(claims.select_related("store").order_by("-updated_at")[:20])


def claim_discard_draft(*, claim: Claim) -> None:
    """Delete a draft and its photos: nothing of it was ever sent."""
    with transaction.atomic():
        locked = Claim.objects.select_for_update().filter(pk=claim.pk, status=Claim.Status.DRAFT)
        if not locked.exists():
            raise ClaimNotEditable(f"Claim {claim.reference} was sent meanwhile.")
        attachments = list(claim.attachments.all())
        claim.delete()
        for attachment in attachments:
            attachment_discard(attachment=attachment)


@dataclass(frozen=True)
class StepInput:
    """What an associate gave on one step, already checked: the drafts service's input.

    `values` are the claim's fields as the step's form cleaned them (when `valid`);
    `uploads` the photos that passed their checks, normalised; `typed` what was typed
    into the form's own fields, kept on the draft when it is not valid; `collects` the
    API keys the step collects, so that a rejection naming one of them is cleared.
    `order` says when the input was given (the step page's render time in ms, and the
    tablet's count of saves from that page), so that saves can be put in order.
    """

    valid: bool
    values: dict[str, object] = field(default_factory=dict)
    uploads: list[tuple[str, NormalisedImage]] = field(default_factory=list)
    signature: NormalisedImage | None = None
    signature_typed: bool = False  # drawn from the name the customer typed
    clear_signature: bool = False
    typed: dict[str, list[str]] = field(default_factory=dict)
    invalid: frozenset[str] = frozenset()  # the fields of `typed` that failed their checks
    collects: frozenset[str] = frozenset()
    order: tuple[int, int] | None = None


def claim_save_step(
    *,
    claim: Claim,
    slug: str,
    entry: StepInput,
    checked: bool,
    background: bool = False,
    save_id: uuid.UUID | None = None,
) -> bool:
    """Save one step's checked input and return whether the step is complete.

    Photos that passed their checks are stored even when another field is
    wrong, and input that does not validate is kept on the draft, so that
    nothing the associate typed or photographed is lost. `checked` says the
    associate asked to go on, so the kept input's errors are shown again on
    a reload; input left behind by going back is shown without errors.

    Slow work holds no database lock: photos were decoded while the input was
    checked, and are written to storage before one short transaction records
    them with the step. Only this step's fields are written, and only while the
    claim is still editable, so a worker's or a manager's change made meanwhile
    is never overwritten; raises ClaimNotEditable otherwise.

    A `background` save (the tablet saving as the associate types) is skipped when
    input given later was saved already: requests run side by side, and an older
    snapshot that arrives last must not undo newer typing. The associate's own
    saves (Next, the step bar) always apply.

    `save_id`, made on the tablet, is recorded with the save (a ClaimSave) in the same
    transaction: a save sent again with it (a lost answer, a second tab, the outbox's
    replay) is refused by the primary key, even at the same moment, and changes
    nothing; the step's completeness as it stands is returned. ValidationError if the
    id is another claim's save.
    """
    if save_id is not None and (done := _save_done_before(claim, slug, save_id)) is not None:
        return done  # before any file is written; two at once are told apart below
    prepared = [
        attachment_prepare(claim=claim, kind=kind, image=image) for kind, image in entry.uploads
    ]
    signature = None
    if entry.valid and entry.signature is not None:
        signature = attachment_prepare(
            claim=claim, kind=ClaimAttachment.Kind.SIGNATURE, image=entry.signature
        )
        signature.typed = entry.signature_typed
        prepared.append(signature)
    # If this rolls back, the files just written stay: orphan_files_purge deletes them
    # once no row names them. An error path deletes no file.
    try:
        with transaction.atomic():
            superseded = background and _saved_later_input(claim, entry.order)
            if save_id is not None:
                # First: a second request with the id waits here for the first to end.
                ClaimSave.objects.create(id=save_id, claim=claim, step=slug, applied=not superseded)
            if not superseded:
                _record_step(claim, slug, entry, checked, prepared, signature)
            for attachment in prepared:
                if attachment.pk is None:  # not recorded (superseded): gone when this commits
                    attachment_discard(attachment=attachment)
    except IntegrityError:
        done = _save_done_before(claim, slug, save_id) if save_id is not None else None
        if done is None:
            raise
        # The same save, applied meanwhile: what this request wrote went with its rollback.
        for attachment in prepared:
            attachment_discard(attachment=attachment)
        return done
    return entry.valid and not superseded


def _save_done_before(claim: Claim, slug: str, save_id: uuid.UUID) -> bool | None:
    """None if no save has this id; else whether the step is complete now (the save was
    applied then). ValidationError if the id is another claim's save."""
    saved = ClaimSave.objects.filter(pk=save_id).first()
    if saved is None:
        return None
    if saved.claim_id != claim.pk:
        raise ValidationError("This save's id is another claim's.")
    return claim_step_complete(claim=Claim.objects.get(pk=claim.pk), slug=slug)


def _saved_later_input(claim: Claim, order: tuple[int, int] | None) -> bool:
    """Whether the claim holds input given after `order`; locks the claim's row.

    Input of the same order is the same post: the steps of one page are saved one after
    the other with it, and each applies."""
    if order is None:
        return False
    saved = (
        Claim.objects.select_for_update()
        .filter(pk=claim.pk)
        .values_list("input_page_rendered_at", "input_sequence")
        .first()
    )
    return saved is not None and saved[0] is not None and tuple(saved) > order


def _record_step(claim, slug, entry: StepInput, checked, prepared, signature) -> None:
    for attachment in prepared:
        if attachment.kind == ClaimAttachment.Kind.PRODUCT:
            for old in claim.attachments.current().filter(kind=attachment.kind):
                attachment_delete(attachment=old)
        if attachment is not signature:
            attachment_record(attachment=attachment)
    if entry.valid:
        for name, value in entry.values.items():
            setattr(claim, name, value)
        if signature is not None or entry.clear_signature:
            signatures_replace(claim=claim, new=signature)
        claim.pending_input.pop(slug, None)
        error_key = claim.last_error_field.split("[", 1)[0]
        if error_key and error_key in entry.collects:
            claim.last_error, claim.last_error_field = "", ""
        if slug not in claim.completed_steps:
            claim.completed_steps = [*claim.completed_steps, slug]
    else:
        # Fitted already by the step (to tell the associate); again here, with what the
        # claim holds now, so that no way in keeps more than PENDING_INPUT_MAX_BYTES.
        fitted = pending_input_fit(
            pending=claim.pending_input, slug=slug, typed=entry.typed, invalid=entry.invalid
        )
        claim.pending_input[slug] = {"data": fitted.typed, "checked": checked}
    order_fields = []
    if entry.order is not None:
        claim.input_page_rendered_at, claim.input_sequence = entry.order
        order_fields = ["input_page_rendered_at", "input_sequence"]
    _claim_update(
        claim,
        [
            *entry.values,
            *order_fields,
            "completed_steps",
            "pending_input",
            "last_error",
            "last_error_field",
        ],
    )


def claim_add_photos(
    *,
    claim: Claim,
    kind: str,
    images: list[NormalisedImage],
    tablet_id: uuid.UUID | None = None,
) -> list[ClaimAttachment]:
    """Store photos picked on the tablet, already checked and normalised.

    The photos-per-claim limit is checked (ValidationError), and the storage writes
    happen before one short transaction. A product image replaces the one before it.

    `tablet_id` is the id the tablet gave a single photo: if the claim has a photo with
    it already (an upload sent again, even at the same moment), that photo is returned
    and nothing new is stored. ValidationError if another claim's photo has it.
    """
    if not images:
        raise ValidationError(_("Choose a photo."))
    if tablet_id is not None:
        if len(images) != 1:
            raise ValidationError(_("A photo with an id is sent alone."))
        if (stored := _photo_with_tablet_id(claim, tablet_id)) is not None:
            return [stored]
    claim_check_photo_limit(
        claim=claim, kind=kind, adding=len(images), adding_bytes=sum(len(i.data) for i in images)
    )
    prepared = [attachment_prepare(claim=claim, kind=kind, image=image) for image in images]
    for attachment in prepared:
        attachment.tablet_id = tablet_id
    # Refused under the lock, the files just written stay until orphan_files_purge.
    try:
        with transaction.atomic():
            _lock_editable(claim)
            # Under the lock: the same upload, in progress meanwhile, has committed by now.
            stored = _photo_with_tablet_id(claim, tablet_id) if tablet_id is not None else None
            if stored is None:
                _record_photos(claim, kind, prepared)
    except IntegrityError:
        # The same upload at the same moment (where the claim's lock does not hold it back).
        stored = _photo_with_tablet_id(claim, tablet_id) if tablet_id is not None else None
        if stored is None:
            raise
    if stored is None:
        return prepared
    for attachment in prepared:
        attachment_discard(attachment=attachment)
    return [stored]


def _record_photos(claim: Claim, kind: str, prepared: list[ClaimAttachment]) -> None:
    # Again under the lock: uploads run side by side, and each checked alone.
    claim_check_photo_limit(
        claim=claim, kind=kind, adding=len(prepared), adding_bytes=sum(a.size for a in prepared)
    )
    if kind == ClaimAttachment.Kind.PRODUCT:
        for old in claim.attachments.current().filter(kind=kind):
            attachment_delete(attachment=old)
    for attachment in prepared:
        attachment_record(attachment=attachment)


def _photo_with_tablet_id(claim: Claim, tablet_id: uuid.UUID) -> ClaimAttachment | None:
    """The claim's photo with this id from the tablet; ValidationError if another claim's."""
    stored = ClaimAttachment.objects.filter(tablet_id=tablet_id).first()
    if stored is not None and stored.claim_id != claim.pk:
        raise ValidationError("This photo's id is another claim's photo.")
    return stored


def claim_remove_attachment(*, claim: Claim, attachment_id: int) -> None:
    """Remove a photo; the step that holds it must then be checked again.

    Raises ClaimNotEditable once the claim was submitted: its body names the photo.
    """
    with transaction.atomic():
        # Locked first: a Submit meanwhile builds its body after this, or this fails.
        _lock_editable(claim)
        attachment = claim.attachments.current().filter(pk=attachment_id).first()
        if attachment is not None:
            attachment_delete(attachment=attachment)
            slug = PHOTO_STEPS.get(attachment.kind)
            claim.completed_steps = [s for s in claim.completed_steps if s != slug]
            _claim_update(claim, ["completed_steps"])


def claim_remove_photo(*, claim: Claim, tablet_id: uuid.UUID) -> None:
    """Remove the photo the tablet gave this id; the step that holds it must then be
    checked again. A photo never stored or already removed: nothing to do (a removal
    sent again). Raises ClaimNotEditable once the claim was submitted.
    """
    with transaction.atomic():
        _lock_editable(claim)
        attachment = claim.attachments.current().filter(tablet_id=tablet_id).first()
        if attachment is not None:
            attachment_delete(attachment=attachment)
            slug = PHOTO_STEPS.get(attachment.kind)
            claim.completed_steps = [s for s in claim.completed_steps if s != slug]
            _claim_update(claim, ["completed_steps"])


def _lock_editable(claim: Claim) -> None:
    if not Claim.objects.select_for_update().editable().filter(pk=claim.pk).exists():
        raise ClaimNotEditable(f"Claim {claim.reference} was sent meanwhile.")


def _claim_update(claim: Claim, fields: list[str]) -> None:
    """Write these fields of a claim that is still editable (a compare-and-set)."""
    claim.updated_at = timezone.now()
    values = {name: getattr(claim, name) for name in {*fields, "updated_at"}}
    if not Claim.objects.editable().filter(pk=claim.pk).update(**values):
        raise ClaimNotEditable(f"Claim {claim.reference} was sent meanwhile.")
