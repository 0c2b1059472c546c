"""Starting a claim and saving it step by step."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from kiosk.forms import ClaimStepForm, SignatureForm
from kiosk.models import Claim, ClaimAttachment, Store
from kiosk.services.attachments import attachment_create, attachment_delete, signature_store

# Form data that is not the associate's input.
NAVIGATION_KEYS = {"csrfmiddlewaretoken", "nav", "goto", "remove_attachment"}


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
        address_origin=store.default_address_origin,
        sales_channel=store.default_sales_channel,
        claim_category=store.default_claim_category,
        claim_filed_from=store.default_claim_filed_from,
        from_valet=store.default_from_valet,
        require_customer_signature=store.default_require_customer_signature,
    )


@transaction.atomic
def claim_save_step(*, claim: Claim, slug: str, form: ClaimStepForm, checked: bool) -> bool:
    """Save what a step's form holds and return whether the step is complete.

    Photos that passed their checks are stored even when another field is
    wrong, and input that does not validate is kept on the draft, so that
    nothing the associate typed or photographed is lost. `checked` says the
    associate asked to go on, so the kept input's errors are shown again on
    a reload; input left behind by going back is shown without errors.

    Only this step's fields are written, and only while the claim is still
    editable, so a worker's or a manager's change made meanwhile is never
    overwritten; raises ClaimNotEditable otherwise.
    """
    before = _field_values(claim)
    valid = form.is_valid()
    for kind, upload in form.accepted_uploads():
        if kind == ClaimAttachment.Kind.PRODUCT:
            for old in claim.attachments.current().filter(kind=kind):
                attachment_delete(attachment=old)
        attachment_create(claim=claim, kind=kind, upload=upload)
    if valid:
        form.save(commit=False)
        if isinstance(form, SignatureForm):
            _save_signature(claim=claim, form=form)
        claim.pending_input.pop(slug, None)
        if claim.last_error_field and form.collects(claim.last_error_field):
            claim.last_error, claim.last_error_field = "", ""
        if slug not in claim.completed_steps:
            claim.completed_steps = [*claim.completed_steps, slug]
    else:
        claim.pending_input[slug] = {"data": _typed_input(form.data), "checked": checked}
    step_fields = _changed_fields(claim, before) if valid else []
    _claim_update(
        claim,
        [*step_fields, "completed_steps", "pending_input", "last_error", "last_error_field"],
    )
    return valid


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


def _save_signature(*, claim: Claim, form: SignatureForm) -> None:
    if form.signature_png:
        signature_store(claim=claim, data=form.signature_png)
    elif form.cleaned_data.get("clear_signature"):
        for old in claim.attachments.current().filter(kind=ClaimAttachment.Kind.SIGNATURE):
            attachment_delete(attachment=old)


def _typed_input(data: QueryDict) -> dict[str, list[str]]:
    return {key: data.getlist(key) for key in data if key not in NAVIGATION_KEYS}
