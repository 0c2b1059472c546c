"""Starting a claim and saving it step by step."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kiosk.forms import ClaimStepForm, SignatureForm
from kiosk.models import Claim, ClaimAttachment, Store
from kiosk.services.attachments import (
    attachment_delete,
    attachment_discard,
    attachment_prepare,
    attachment_record,
    signatures_replace,
)

# Form data that is not the associate's input.
NAVIGATION_KEYS = {"csrfmiddlewaretoken", "nav", "goto", "remove_attachment"}
# Input that did not validate is kept on the draft, each value cut to this many characters
# (a signature's data URL is the longest an associate's input gets).
PENDING_VALUE_MAX_CHARS = 200_000


class ClaimNotEditable(Exception):
    """The claim was submitted (or retried by a manager) since the page was shown."""


def claim_start(*, store: Store, associate: AbstractBaseUser) -> Claim:
    """Open a draft claim at a store, prefilled from the store's policy."""
    if not store.members.filter(pk=associate.pk).exists():
        raise PermissionDenied("You do not work at this store.")
    return Claim.objects.create(
        store=store,
        created_by=associate,
        receipt_required=store.receipt_required,
        warranty_period=store.default_warranty_period,
        ship_country=store.default_country,
        ship_state=store.default_state,
        address_origin=store.default_address_origin,
        sales_channel=store.default_sales_channel,
        claim_category=store.default_claim_category,
        claim_filed_from=store.default_claim_filed_from,
        from_valet=store.default_from_valet,
        require_customer_signature=store.default_require_customer_signature,
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
        attachment.file.delete(save=False)
        if attachment.thumbnail:
            attachment.thumbnail.delete(save=False)


def claim_save_step(*, claim: Claim, slug: str, form: ClaimStepForm, checked: bool) -> bool:
    """Save what a step's form holds and return whether the step is complete.

    Photos that passed their checks are stored even when another field is
    wrong, and input that does not validate is kept on the draft, so that
    nothing the associate typed or photographed is lost. `checked` says the
    associate asked to go on, so the kept input's errors are shown again on
    a reload; input left behind by going back is shown without errors.

    Slow work holds no database lock: photos are decoded (in `is_valid`) and
    written to storage before one short transaction records them with the
    step. Only this step's fields are written, and only while the claim is
    still editable, so a worker's or a manager's change made meanwhile is
    never overwritten; raises ClaimNotEditable otherwise.
    """
    before = _field_values(claim)
    valid = form.is_valid()
    prepared = [
        attachment_prepare(claim=claim, kind=kind, image=image)
        for kind, image in form.accepted_uploads()
    ]
    signature = None
    if valid and isinstance(form, SignatureForm) and form.signature_image:
        signature = attachment_prepare(
            claim=claim, kind=ClaimAttachment.Kind.SIGNATURE, image=form.signature_image
        )
        prepared.append(signature)
    try:
        with transaction.atomic():
            _record_step(claim, slug, form, valid, checked, before, prepared, signature)
    except Exception:
        for attachment in prepared:
            if attachment.pk is None:
                attachment_discard(attachment=attachment)
        raise
    return valid


def _record_step(claim, slug, form, valid, checked, before, prepared, signature) -> None:
    for attachment in prepared:
        if attachment.kind == ClaimAttachment.Kind.PRODUCT:
            for old in claim.attachments.current().filter(kind=attachment.kind):
                attachment_delete(attachment=old)
        if attachment is not signature:
            attachment_record(attachment=attachment)
    if valid:
        form.save(commit=False)
        if signature is not None or form.cleaned_data.get("clear_signature"):
            signatures_replace(claim=claim, new=signature)
        claim.pending_input.pop(slug, None)
        if claim.last_error_field and form.collects(claim.last_error_field):
            claim.last_error, claim.last_error_field = "", ""
        if slug not in claim.completed_steps:
            claim.completed_steps = [*claim.completed_steps, slug]
    else:
        claim.pending_input[slug] = {"data": _typed_input(form), "checked": checked}
    step_fields = _changed_fields(claim, before) if valid else []
    _claim_update(
        claim,
        [*step_fields, "completed_steps", "pending_input", "last_error", "last_error_field"],
    )


def claim_add_photos(*, claim: Claim, kind: str, uploads: list) -> list[ClaimAttachment]:
    """Check, normalise and store photos picked on the tablet; ValidationError if one is bad.

    The same checks as the step's form (size, pixels, count, photos per claim);
    the decoding and the storage writes happen before one short transaction.
    A product image replaces the one before it.
    """
    from kiosk.forms.fields import ImageUploadField

    field = ImageUploadField()
    images = field.clean(uploads)
    if not images:
        raise ValidationError("Choose a photo.")
    _check_room_for_photos(claim, kind, len(images))
    prepared = [attachment_prepare(claim=claim, kind=kind, image=image) for image in images]
    try:
        with transaction.atomic():
            if not Claim.objects.select_for_update().editable().filter(pk=claim.pk).exists():
                raise ClaimNotEditable(f"Claim {claim.reference} was sent meanwhile.")
            # Again under the lock: uploads run side by side, and each checked alone.
            _check_room_for_photos(claim, kind, len(images))
            if kind == ClaimAttachment.Kind.PRODUCT:
                for old in claim.attachments.current().filter(kind=kind):
                    attachment_delete(attachment=old)
            for attachment in prepared:
                attachment_record(attachment=attachment)
    except Exception:
        for attachment in prepared:
            if attachment.pk is None:
                attachment_discard(attachment=attachment)
        raise
    return prepared


def _check_room_for_photos(claim: Claim, kind: str, adding: int) -> None:
    """PHOTOS_PER_CLAIM, counting every kind but signatures; a product image replaces its own."""
    photos = claim.attachments.current().exclude(kind=ClaimAttachment.Kind.SIGNATURE)
    if kind == ClaimAttachment.Kind.PRODUCT:
        photos = photos.exclude(kind=kind)
    stored = photos.count()
    if stored + adding > settings.PHOTOS_PER_CLAIM:
        raise ValidationError(
            f"A claim can have at most {settings.PHOTOS_PER_CLAIM} photos; it has {stored}. "
            "Remove one to add another."
        )


def claim_remove_attachment(*, claim: Claim, slug: str, attachment_id: int) -> None:
    """Remove a photo; the step that holds it must then be checked again."""
    attachment = claim.attachments.current().filter(pk=attachment_id).first()
    if attachment is not None:
        attachment_delete(attachment=attachment)
        claim.completed_steps = [s for s in claim.completed_steps if s != slug]
        _claim_update(claim, ["completed_steps"])


def _field_values(claim: Claim) -> dict:
    return {field.attname: getattr(claim, field.attname) for field in Claim._meta.concrete_fields}


def _changed_fields(claim: Claim, before: dict) -> list[str]:
    return [name for name, value in before.items() if getattr(claim, name) != value]


def _claim_update(claim: Claim, fields: list[str]) -> None:
    """Write these fields of a claim that is still editable (a compare-and-set)."""
    claim.updated_at = timezone.now()
    values = {name: getattr(claim, name) for name in {*fields, "updated_at"}}
    if not Claim.objects.editable().filter(pk=claim.pk).update(**values):
        raise ClaimNotEditable(f"Claim {claim.reference} was sent meanwhile.")


def _typed_input(form: ClaimStepForm) -> dict[str, list[str]]:
    """What the associate typed into the form's own fields, each value cut to a sane length.

    Anything else in the post (a stray or hostile field) is not kept on the draft.
    """
    typed = {}
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        if key in NAVIGATION_KEYS or isinstance(field, forms.FileField):
            continue
        if key not in form.data:
            continue
        values = form.data.getlist(key) if hasattr(form.data, "getlist") else [form.data[key]]
        limit = min(
            getattr(field, "max_length", None) or PENDING_VALUE_MAX_CHARS, PENDING_VALUE_MAX_CHARS
        )
        typed[key] = [str(value)[:limit] for value in values]
    return typed
