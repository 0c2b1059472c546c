"""What every step's form has in common."""

import copy

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError

from kiosk.models import Claim
from kiosk.services.drafts import StepInput
from kiosk.services.quotas import claim_check_photo_limit

# Form data that is not the associate's input.
NAVIGATION_KEYS = {
    "csrfmiddlewaretoken",
    "nav",
    "goto",
    "remove_attachment",
    "page_rendered_at",
    "input_sequence",
}
# The largest render time or save count taken from a post (they are stored as integers).
INPUT_ORDER_MAX = 2**53
# Input that did not validate is kept on the draft, each value cut to this many characters
# (a signature's data URL is the longest an associate's input gets).
PENDING_VALUE_MAX_CHARS = 200_000


class ClaimStepForm(forms.ModelForm):
    """A step's form: edits part of a claim; knows which payload keys it collects.

    `payload_fields` maps the API's dotted keys to this form's fields, so that
    a rejection naming a key is shown at the field that collected it.
    `upload_kinds` maps image fields to the attachment kind they create.
    `error_anchors` says where an error summary's link to a hidden field leads.
    """

    payload_fields: dict[str, str] = {}
    upload_kinds: dict[str, str] = {}
    # The element an error summary's link leads to, for a field not shown as itself (a
    # hidden field that a widget of the page fills): field name → element id.
    error_anchors: dict[str, str] = {}
    # Fields whose input the draft could not keep (kiosk.steps.FormStep.save).
    not_kept: tuple[str, ...] = ()

    def __init__(self, *args, claim: Claim, **kwargs):
        self.claim = claim
        # Validation writes into the form's instance: a copy, so that the claim itself
        # changes only when the drafts service saves what `step_input()` hands it. What
        # it changed is told against the claim as it was here, as the steps of a page
        # are saved one after the other.
        self.claim_before = copy.copy(claim)
        super().__init__(*args, instance=copy.copy(claim), **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        for name, kind in self.upload_kinds.items():
            self.fields[name].widget.attrs["data-photo-kind"] = kind

    def clean(self):
        cleaned = super().clean()
        self._refuse_photos_past_the_limit()
        return cleaned

    def _refuse_photos_past_the_limit(self) -> None:
        """PHOTOS_PER_CLAIM and PHOTOS_MAX_BYTES_PER_CLAIM, the drafts service's rules, with
        this post's photos counted."""
        adding = adding_bytes = 0
        for name, kind in self.upload_kinds.items():
            field = self.fields[name]
            if not field.accepted:
                continue
            size = sum(len(image.data) for image in field.accepted)
            try:
                claim_check_photo_limit(
                    claim=self.claim,
                    kind=kind,
                    adding=len(field.accepted),
                    also_adding=adding,
                    adding_bytes=size,
                    also_adding_bytes=adding_bytes,
                )
            except ValidationError as error:
                field.refused.extend(error.messages)
                field.accepted = []
                self.add_error(name, error)
            adding += len(field.accepted)
            adding_bytes += sum(len(image.data) for image in field.accepted)

    def step_input(self) -> StepInput:
        """The checked result of this post, for kiosk.services.drafts.claim_save_step."""
        valid = self.is_valid()
        return StepInput(
            valid=valid,
            values=self._changed_values() if valid else {},
            uploads=self.accepted_uploads(),
            typed={} if valid else self.typed_input(),
            invalid=frozenset() if valid else frozenset(self.errors),
            collects=frozenset(self.payload_fields),
            order=self.input_order(),
        )

    def input_order(self) -> tuple[int, int] | None:
        """When this input was given: a time in milliseconds and the tablet's save count.

        The step page carries its render time in `page_rendered_at`; kiosk.js puts there
        the time each save is made instead (the tablet's clock), and counts the saves it
        sends from the page, so that the input given last wins across the page's saves,
        two tabs and the outbox's replays. A post without them, or with anything else,
        has no order.
        """
        try:
            order = (int(self.data["page_rendered_at"]), int(self.data.get("input_sequence", 0)))
        except (KeyError, TypeError, ValueError):
            return None
        return order if all(0 <= value < INPUT_ORDER_MAX for value in order) else None

    def _changed_values(self) -> dict[str, object]:
        return {
            field.attname: getattr(self.instance, field.attname)
            for field in Claim._meta.concrete_fields
            if getattr(self.instance, field.attname) != getattr(self.claim_before, field.attname)
        }

    def typed_input(self) -> dict[str, list[str]]:
        """What the associate typed into this form's own fields, each value cut short, one
        value a field unless it takes several. The draft's total is capped by the drafts
        service (kiosk.services.quotas.pending_input_fit).

        Anything else in the post (a stray or hostile field) is not kept on the draft.
        """
        typed = {}
        for name, field in self.fields.items():
            key = self.add_prefix(name)
            if key in NAVIGATION_KEYS or isinstance(field, forms.FileField) or key not in self.data:
                continue
            values = self.data.getlist(key) if hasattr(self.data, "getlist") else [self.data[key]]
            if not getattr(field.widget, "allow_multiple_selected", False):
                # One value, the one the field reads: more (a hostile post repeating the
                # name) would be kept for nothing, PENDING_VALUE_MAX_CHARS each.
                values = values[-1:]
            limit = min(
                getattr(field, "max_length", None) or PENDING_VALUE_MAX_CHARS,
                PENDING_VALUE_MAX_CHARS,
            )
            # NUL cannot be stored (PostgreSQL's JSON refuses it), and nobody types one.
            typed[key] = [str(value).replace("\x00", "")[:limit] for value in values]
        return typed

    def collects(self, field_path: str) -> bool:
        """Whether this form collected the API key at `field_path`, e.g. "item.images[0]"."""
        return field_path.split("[", 1)[0] in self.payload_fields

    def accepted_uploads(self) -> list[tuple[str, object]]:
        """(attachment kind, file) for every upload that passed its checks."""
        return [
            (kind, upload)
            for name, kind in self.upload_kinds.items()
            for upload in self.fields[name].accepted
        ]

    def refused_upload_fields(self) -> list[str]:
        """The image fields holding a file that is not an acceptable photo."""
        return [name for name in self.upload_kinds if self.fields[name].refused]

    def attachment_count(self, kind: str) -> int:
        """Photos already on the claim plus the good ones in this post."""
        stored = len(self.claim.attachments_of(kind))
        new = sum(1 for k, _ in self.accepted_uploads() if k == kind)
        return stored + new
