"""The steps of a claim on the tablet, in the order an associate goes through them.

Each step is a small class that handles its page's requests, as pretix's checkout
steps do: `get` shows the page and `post` saves what was given there and says where
to go next. The view (kiosk.views.claim_step) finds the step, checks the associate
may edit the claim, and hands the request over. A form step saves by checking its
form and handing the cleaned result to the drafts service. Whether a step, or the
whole claim, is complete is the completeness service's rule
(kiosk.services.completeness): the steps ask it.
"""

import dataclasses
import json
import time
import uuid
from typing import NamedTuple

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kiosk import forms
from kiosk.delivery.fields import collecting_field
from kiosk.models import Claim, ClaimAttachment
from kiosk.services.attachments import public_media_base_url
from kiosk.services.completeness import claim_incomplete_steps, claim_step_complete
from kiosk.services.coverage import claim_coverage
from kiosk.services.drafts import ClaimNotEditable, claim_remove_attachment, claim_save_step
from kiosk.services.quotas import pending_input_fit, pending_not_kept_message
from kiosk.services.submission import claim_build_payload
from kiosk.validators import tablet_made_id

SENT_MEANWHILE = _("This claim was sent meanwhile, so it can no longer be changed here.")
# Posted by a step shown offline whose input the tablet did not have (offline-pages.js).
OFFLINE_UNLOADED = "offline_unloaded"


class Replayed(NamedTuple):
    """What became of a save the tablet kept offline (FormStep.replay)."""

    complete: bool
    not_kept: list[str]


class Step:
    """A page of the claim, or a part of one (`shown_on`)."""

    slug = ""
    title = ""
    intro = ""
    template_name = ""
    # The page this step is collected on, when it has no page of its own (and so no place
    # in the step bar): the signature is given on the review page, where the customer
    # signs what they have just read; the issue and the warranty on the item's page.
    shown_on = ""

    def is_complete(self, claim: Claim) -> bool:
        return claim_step_complete(claim=claim, slug=self.slug)

    def get(self, request: HttpRequest, claim: Claim) -> HttpResponse:
        raise NotImplementedError

    def post(self, request: HttpRequest, claim: Claim) -> HttpResponse:
        """Raises ClaimNotEditable when the claim was sent since the page was shown."""
        raise NotImplementedError

    def shows_api_error(self, claim: Claim) -> bool:
        """Whether this page shows the API's last complaint: it collected what it names."""
        located = step_for_payload_field(claim.last_error_field) if claim.last_error else None
        return located is not None and located[0] == self

    def context(self, claim: Claim) -> dict:
        """What every step's page shows: the step bar, the way on and back, the photos."""
        return {
            "claim": claim,
            "step": self,
            "steps": [(page, page_complete(page, claim)) for page in PAGES],
            "previous_step": step_before(self),
            "next_step": step_after(self),
            "api_error": claim.last_error if self.shows_api_error(claim) else "",
            "address_origins": settings.ADDRESS_ORIGIN_SUGGESTIONS,
            "image_max_side": settings.IMAGE_MAX_SIDE,
            "catalog_min_chars": settings.KIOSK_CATALOG_QUERY_MIN_CHARS,
            "subdivisions_url": reverse("kiosk:subdivisions"),
            "attachments_by_kind": {
                kind: claim.attachments_of(kind) for kind in ClaimAttachment.Kind.values
            },
        }

    def navigation_target(self, data: QueryDict) -> "Step | None":
        """Where the associate asked to go (a post's data): a step in the step bar, back,
        stay or on."""
        if goto := data.get("goto"):
            return STEPS_BY_SLUG.get(goto)
        if data.get("nav") == "back":
            return step_before(self)
        if data.get("nav") == "stay":  # photos picked: store them now
            return self
        return step_after(self)

    def __repr__(self) -> str:
        return f"<Step {self.slug}>"


class FormStep(Step):
    """A step that collects part of the claim with its own form: on a page of its own,
    with the steps shown on that page (`shown_on`), or on another step's page."""

    form_class: type[forms.ClaimStepForm]
    template_name = "kiosk/claim_step.html"

    def form(self, claim: Claim, request: HttpRequest | None = None) -> forms.ClaimStepForm:
        """The step's form, bound to the request's post when there is one."""
        if request is None or request.method != "POST":
            return self.form_class(claim=claim)
        return self.form_class(request.POST, request.FILES, claim=claim)

    def given_in(self, data: QueryDict) -> bool:
        """Whether a post holds any of this step's fields (forms take no prefix)."""
        return any(name in data for name in self.form_class.base_fields)

    def page_steps(self) -> list["FormStep"]:
        """The steps collected on this step's page, in the page's order."""
        page = page_of(self)
        return [step for step in FORM_STEPS if page_of(step) is page]

    def steps_given(self, data: QueryDict) -> list["FormStep"]:
        """The steps of the page a post saves: those whose fields it holds (the page's own
        post holds them all), else the one it was sent to (its fields left empty)."""
        return [step for step in self.page_steps() if step.given_in(data)] or [self]

    def display_form(self, claim: Claim) -> forms.ClaimStepForm:
        """The form as the page shows it: with input kept on the draft, and its errors once
        the associate asked to go on, or with the API's complaint at the field it names."""
        if pending := claim.pending_input.get(self.slug):
            if not pending["checked"]:
                typed = {key: values[-1] for key, values in pending["data"].items() if values}
                return self.form_class(initial=typed, claim=claim)
            data = QueryDict(mutable=True)
            for key, values in pending["data"].items():
                data.setlist(key, values)
            form = self.form_class(data, claim=claim)
            form.is_valid()
            return form
        form = self.form_class(claim=claim)
        if self.shows_api_error(claim):
            form = self.form_class(_initial_data(form), claim=claim)
            form.is_valid()
            form.add_error(step_for_payload_field(claim.last_error_field)[1], claim.last_error)
        return form

    def save(
        self,
        claim: Claim,
        form: forms.ClaimStepForm,
        *,
        checked: bool,
        background: bool = False,
        save_id: uuid.UUID | None = None,
    ) -> bool:
        """Check the form and save what it holds; whether the step is now complete.

        A save sent again with its `save_id` changes nothing (claim_save_step). Input the
        draft cannot keep (PENDING_INPUT_MAX_BYTES) is left out, and named in the form's
        `not_kept`, so that the page can say so."""
        entry = form.step_input()
        if not entry.valid:
            fitted = pending_input_fit(
                pending=claim.pending_input,
                slug=self.slug,
                typed=entry.typed,
                invalid=entry.invalid,
            )
            form.not_kept = fitted.not_kept
            entry = dataclasses.replace(entry, typed=fitted.typed)
        return claim_save_step(
            claim=claim,
            slug=self.slug,
            entry=entry,
            checked=checked,
            background=background,
            save_id=save_id,
        )

    def save_forms(
        self,
        claim: Claim,
        given: dict["FormStep", forms.ClaimStepForm],
        *,
        checked: bool,
        background: bool = False,
        save_id: uuid.UUID | None = None,
    ) -> bool:
        """Save each step a post of this page holds, with its form; whether they are all
        complete now. The step the post was sent to saves under the post's `save_id`,
        each other under an id made from it, so that a post sent again saves none again."""
        complete = True
        for step, form in given.items():
            step_save_id = save_id
            if save_id is not None and step is not self:
                step_save_id = uuid.uuid5(save_id, step.slug)
            saved = step.save(
                claim, form, checked=checked, background=background, save_id=step_save_id
            )
            complete = complete and saved
        return complete

    def checks(self, data: QueryDict) -> bool:
        """Whether a post of this page asks to go on, so that its input is checked (its
        errors shown): Next, or a step further on. Back, stay, a removal and the
        background save keep what was typed without errors."""
        if data.get("nav") == "autosave" or data.get("remove_attachment"):
            return False
        target = self.navigation_target(data)
        return target is None or PAGES.index(page_of(target)) > PAGES.index(page_of(self))

    def replay(self, claim: Claim, data: QueryDict, *, save_id: uuid.UUID) -> Replayed:
        """Save a post of this page that the tablet kept while offline and sends now (the
        outbox): whether the steps it holds are complete, and the labels of the fields
        whose input the draft could not keep (PENDING_INPUT_MAX_BYTES).

        Checked as the page's own post would have been (`checks`), and put in order like
        the page's background saves: skipped if input given later was saved already.
        Photos travel on their own, each with its id (kiosk.services.drafts.claim_add_photos).
        """
        given = {step: step.form_class(data, claim=claim) for step in self.steps_given(data)}
        complete = self.save_forms(
            claim, given, checked=self.checks(data), background=True, save_id=save_id
        )
        return Replayed(complete=complete, not_kept=not_kept_labels(given))

    def get(self, request: HttpRequest, claim: Claim) -> HttpResponse:
        if self.shown_on:
            return redirect("kiosk:claim-step", reference=claim.reference, step=self.shown_on)
        return self.render(request, claim, {})

    def post(self, request: HttpRequest, claim: Claim) -> HttpResponse:
        """Save the page's steps, then go where the associate asked, or show what to fix."""
        given = {step: step.form(claim, request) for step in self.steps_given(request.POST)}
        if request.POST.get("nav") == "autosave":
            return self.autosave(claim, given)
        target = self.navigation_target(request.POST)
        page = page_of(self)
        if request.POST.get(OFFLINE_UNLOADED) == "1":
            # Shown offline without its input (static/kiosk/offline-pages.js), the page
            # posted none: going on saves nothing, so that nothing saved is blanked.
            return redirect(
                "kiosk:claim-step", reference=claim.reference, step=(target or page).slug
            )
        removing = request.POST.get("remove_attachment", "")
        going_on = self.checks(request.POST)
        # Posted twice (a lost answer, a double tap): the second saves nothing again.
        save_id = tablet_made_id(request.POST.get("request_id"))
        complete = self.save_forms(claim, given, checked=going_on, save_id=save_id)
        if not_kept := not_kept_labels(given):
            messages.warning(request, pending_not_kept_message(labels=not_kept))
        if removing.isascii() and removing.isdigit():
            claim_remove_attachment(claim=claim, attachment_id=int(removing))
            target = page
        bad_uploads = {name for form in given.values() for name in form.refused_upload_fields()}
        if bad_uploads and not going_on:
            # A photo was refused while the associate was not going on: say so at once,
            # and leave the other fields' checks for when they press Next.
            for form in given.values():
                for name in list(form.errors):
                    if name not in bad_uploads:
                        del form.errors[name]
        elif target is not None and (complete or not going_on):
            return redirect("kiosk:claim-step", reference=claim.reference, step=target.slug)
        # Reloaded so that the page shows the photos just stored.
        claims = Claim.objects.select_related("store").prefetch_related("attachments")
        return page.render(request, get_object_or_404(claims, pk=claim.pk), given)

    def autosave(self, claim: Claim, given: dict["FormStep", forms.ClaimStepForm]) -> HttpResponse:
        """What the associate typed so far, saved in the background (kiosk.js) as they go.

        Valid input is saved to the claim, the rest kept on the draft without errors, as
        when they leave the step through the step bar. The page stays as it is: 204, or
        200 with what the draft could not keep (`not_kept`, the fields' labels) and a
        `message` that says so (kiosk.js shows it).
        """
        try:
            self.save_forms(claim, given, checked=False, background=True)
        except ClaimNotEditable:
            return HttpResponse(SENT_MEANWHILE, status=409)
        if not_kept := not_kept_labels(given):
            message = pending_not_kept_message(labels=not_kept)
            return JsonResponse({"not_kept": not_kept, "message": message})
        return HttpResponse(status=204)

    def render(
        self, request: HttpRequest, claim: Claim, given: dict["FormStep", forms.ClaimStepForm]
    ) -> HttpResponse:
        """The page with each of its steps' forms: as posted (`given`), else as kept."""
        sections = [
            (step, given[step] if step in given else step.display_form(claim))
            for step in self.page_steps()
        ]
        context = self.context(claim) | {
            "sections": sections,
            "section_slugs": [step.slug for step, _ in sections],
            "error_count": sum(len(form.errors) for _, form in sections),
            "api_error": claim.last_error
            if any(step.shows_api_error(claim) for step, _ in sections)
            else "",
            # Orders the saves sent from this page (kiosk.js): see StepInput.order.
            "page_rendered_at": time.time_ns() // 1_000_000,
        }
        return render(request, self.template_name, context)


class CustomerStep(FormStep):
    slug, title = "customer", _("Customer")
    intro = _("Who the customer is, and how to reach them.")
    form_class = forms.CustomerForm


class ItemStep(FormStep):
    slug, title = "item", _("Item")
    intro = _("The item, what is wrong with it, and when it was bought.")
    form_class = forms.ItemForm


class WarrantyStep(FormStep):
    slug, title = "warranty", _("Warranty & receipt")
    intro = _("When it was bought, and proof.")
    form_class = forms.WarrantyForm
    shown_on = "item"


class AddressStep(FormStep):
    slug, title = "address", _("Shipping address")
    intro = _("Where a replacement or refund goes.")
    form_class = forms.AddressForm


class IssueStep(FormStep):
    slug, title = "issue", _("Issue & resolution")
    intro = _("What went wrong, and what they want.")
    form_class = forms.IssueForm
    shown_on = "item"


class SignatureStep(FormStep):
    """Given on the review page, right before Submit: its own address leads there."""

    slug, title = "signature", _("Signature")
    intro = _("Ask the customer to sign below.")
    form_class = forms.SignatureForm
    shown_on = "review"

    def post(self, request: HttpRequest, claim: Claim) -> HttpResponse:
        save_id = tablet_made_id(request.POST.get("request_id"))
        self.save(claim, self.form(claim, request), checked=True, save_id=save_id)
        return redirect("kiosk:claim-step", reference=claim.reference, step=REVIEW.slug)

    def checks(self, data: QueryDict) -> bool:
        return True  # signed right before Submit: nowhere to go but on


class ReviewStep(Step):
    """The whole claim as it will be sent, the signature, and Submit."""

    slug, title = "review", _("Sign & submit")
    intro = _("Go through it with the customer, ask them to sign, then submit.")
    template_name = "kiosk/claim_review.html"

    def is_complete(self, claim: Claim) -> bool:
        return not claim_incomplete_steps(claim=claim)

    def shows_api_error(self, claim: Claim) -> bool:
        return True

    def get(self, request: HttpRequest, claim: Claim) -> HttpResponse:
        payload = claim_build_payload(claim=claim, media_base_url=public_media_base_url())
        incomplete = [STEPS_BY_SLUG[slug] for slug in claim_incomplete_steps(claim=claim)]
        # The signature is given on this page, right before Submit.
        before_review = list(
            dict.fromkeys(page_of(step) for step in incomplete if page_of(step) is not self)
        )
        context = self.context(claim) | {
            "payload": payload,
            "payload_json": json.dumps(payload, indent=2, ensure_ascii=False),
            "ready": not before_review,
            "coverage": claim_coverage(claim=claim),
            "incomplete_steps": before_review,
            "signature_form": SIGNATURE.display_form(claim),
            "signature_needed": SIGNATURE in incomplete,
        }
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, claim: Claim) -> HttpResponse:
        """The step bar on the review page."""
        target = self.navigation_target(request.POST) or self
        return redirect("kiosk:claim-step", reference=claim.reference, step=target.slug)

    def save_given(self, request: HttpRequest, claim: Claim) -> bool:
        """Save the steps given on this page (the signature) that the post holds, and
        check those still missing as given empty, so that the page says what is missing;
        whether there was any. Raises ClaimNotEditable when the claim was sent meanwhile."""
        given = [
            step
            for step in FORM_STEPS
            if step.shown_on == self.slug
            and (step.given_in(request.POST) or not step.is_complete(claim))
        ]
        for step in given:
            step.save(claim, step.form(claim, request), checked=True)
        return bool(given)


STEPS = (
    CustomerStep(),
    ItemStep(),
    IssueStep(),
    WarrantyStep(),
    AddressStep(),
    SignatureStep(),
    ReviewStep(),
)
STEPS_BY_SLUG = {step.slug: step for step in STEPS}
FORM_STEPS = tuple(step for step in STEPS if isinstance(step, FormStep))
# The pages an associate goes through, in the step bar's order.
PAGES = tuple(step for step in STEPS if not step.shown_on)
REVIEW = STEPS_BY_SLUG["review"]
SIGNATURE = STEPS_BY_SLUG["signature"]


def not_kept_labels(given: dict[FormStep, forms.ClaimStepForm]) -> list[str]:
    """The labels of the fields whose input a save could not keep on the draft."""
    return [
        str(form.fields[name].label if name in form.fields else name)
        for form in given.values()
        for name in form.not_kept
    ]


def page_of(step: Step) -> Step:
    """The page a step is collected on."""
    return STEPS_BY_SLUG[step.shown_on] if step.shown_on else step


def page_complete(page: Step, claim: Claim) -> bool:
    """Whether every step collected on the page is complete."""
    return all(step.is_complete(claim) for step in STEPS if page_of(step) is page)


def step_after(step: Step) -> Step | None:
    index = PAGES.index(page_of(step))
    return PAGES[index + 1] if index + 1 < len(PAGES) else None


def step_before(step: Step) -> Step | None:
    index = PAGES.index(page_of(step))
    return PAGES[index - 1] if index > 0 else None


def first_incomplete_step(claim: Claim) -> Step:
    """The page to go on from: the first with an incomplete step, else the review."""
    incomplete = claim_incomplete_steps(claim=claim)
    return page_of(STEPS_BY_SLUG[incomplete[0]]) if incomplete else REVIEW


def page_to_correct(claim: Claim) -> Step:
    """The page where the API's complaint is put right: the one that collected the field
    it names, else the review, which shows every complaint."""
    located = step_for_payload_field(claim.last_error_field)
    return page_of(located[0]) if located else REVIEW


def step_for_payload_field(field_path: str) -> tuple[Step, str] | None:
    """The step and form field that collected an API key such as "item.images[0]"."""
    if collected := collecting_field(field_path):
        return STEPS_BY_SLUG[collected[0]], collected[1]
    return None


def _initial_data(form: forms.ClaimStepForm) -> QueryDict:
    """A form's initial values as posted data, so that validating it shows their errors."""
    data = QueryDict(mutable=True)
    for name, field in form.fields.items():
        value = form.get_initial_for_field(field, name)
        if value not in (None, "", False):
            data[name] = value if isinstance(value, str) else str(value)
    return data
