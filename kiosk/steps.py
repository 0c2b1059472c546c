"""The steps of a claim on the tablet, in the order an associate goes through them.

Each step knows whether it applies to a claim, whether it is complete, the form that
collects it and the page that shows it, and how it saves: it checks its form and
hands the cleaned result to the drafts service. Whether a claim has every step it
needs is the completeness service's rule (kiosk.services.completeness).
"""

from django.http import HttpRequest, QueryDict

from kiosk import forms
from kiosk.delivery.fields import collecting_field
from kiosk.models import Claim
from kiosk.services.completeness import claim_step_complete
from kiosk.services.drafts import claim_save_step


class Step:
    slug = ""
    title = ""
    intro = ""
    form_class: type[forms.ClaimStepForm] | None = None
    # Collected on the review page rather than on a page of its own (the customer signs
    # what they have just read), so it has no place in the step bar.
    on_review = False

    def applies(self, claim: Claim) -> bool:
        """Whether the claim goes through this step at all."""
        return True

    def is_complete(self, claim: Claim) -> bool:
        return claim_step_complete(claim=claim, slug=self.slug)

    def form(self, claim: Claim, request: HttpRequest | None = None) -> forms.ClaimStepForm:
        """The step's form, bound to the request's post when there is one."""
        if request is None or request.method != "POST":
            return self.form_class(claim=claim)
        return self.form_class(request.POST, request.FILES, claim=claim)

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
        located = step_for_payload_field(claim.last_error_field) if claim.last_error else None
        if located and located[0] == self:
            form = self.form_class(_initial_data(form), claim=claim)
            form.is_valid()
            form.add_error(located[1], claim.last_error)
        return form

    def save(
        self, claim: Claim, form: forms.ClaimStepForm, *, checked: bool, background: bool = False
    ) -> bool:
        """Check the form and save what it holds; whether the step is now complete."""
        return claim_save_step(
            claim=claim,
            slug=self.slug,
            entry=form.step_input(),
            checked=checked,
            background=background,
        )

    def __repr__(self) -> str:
        return f"<Step {self.slug}>"


class CustomerStep(Step):
    slug, title = "customer", "Customer"
    intro = "Who the customer is, and how to reach them."
    form_class = forms.CustomerForm


class ItemStep(Step):
    slug, title = "item", "Item"
    intro = "The item the claim is about, with photos."
    form_class = forms.ItemForm


class WarrantyStep(Step):
    slug, title = "warranty", "Warranty & receipt"
    intro = "When it was bought, and proof."
    form_class = forms.WarrantyForm


class AddressStep(Step):
    slug, title = "address", "Shipping address"
    intro = "Where a replacement or refund goes."
    form_class = forms.AddressForm


class IssueStep(Step):
    slug, title = "issue", "Issue & resolution"
    intro = "What went wrong, and what they want."
    form_class = forms.IssueForm


class SignatureStep(Step):
    slug, title = "signature", "Signature"
    intro = "Ask the customer to sign below."
    form_class = forms.SignatureForm
    on_review = True


class ReviewStep(Step):
    slug, title = "review", "Sign & submit"
    intro = "Go through it with the customer, ask them to sign, then submit."

    def is_complete(self, claim: Claim) -> bool:
        return all(step.is_complete(claim) for step in FORM_STEPS if step.applies(claim))


STEPS = (
    CustomerStep(),
    ItemStep(),
    WarrantyStep(),
    AddressStep(),
    IssueStep(),
    SignatureStep(),
    ReviewStep(),
)
STEPS_BY_SLUG = {step.slug: step for step in STEPS}
FORM_STEPS = tuple(step for step in STEPS if step.form_class is not None)
# The pages an associate goes through, in the step bar's order.
PAGES = tuple(step for step in STEPS if not step.on_review)
REVIEW = STEPS_BY_SLUG["review"]
SIGNATURE = STEPS_BY_SLUG["signature"]


def page_of(step: Step) -> Step:
    """The page a step is collected on."""
    return REVIEW if step.on_review else step


def step_after(step: Step) -> Step | None:
    index = PAGES.index(page_of(step))
    return PAGES[index + 1] if index + 1 < len(PAGES) else None


def step_before(step: Step) -> Step | None:
    index = PAGES.index(page_of(step))
    return PAGES[index - 1] if index > 0 else None


def first_incomplete_step(claim: Claim) -> Step:
    """The page to go on from: the first with an incomplete step, else the review."""
    incomplete = next(
        (step for step in FORM_STEPS if step.applies(claim) and not step.is_complete(claim)),
        REVIEW,
    )
    return page_of(incomplete)


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
