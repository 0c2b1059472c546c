"""The steps of a claim, in the order an associate goes through them."""

from collections.abc import Callable
from dataclasses import dataclass

from kiosk import forms
from kiosk.models import Claim
from kiosk.services.coverage import claim_needs_override


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    form_class: type[forms.ClaimStepForm] | None
    intro: str = ""
    # What can change after the step was saved, such as a warranty that expires meanwhile.
    still_valid: Callable[[Claim], bool] | None = None
    # Collected on the review page rather than on a page of its own (the customer signs
    # what they have just read), so it has no place in the step bar.
    on_review: bool = False

    def is_complete(self, claim: Claim) -> bool:
        if self.form_class is None:
            return all_form_steps_complete(claim)
        if self.still_valid is not None and not self.still_valid(claim):
            return False
        return self.slug in claim.completed_steps and self.slug not in claim.pending_input


STEPS = (
    Step("customer", "Customer", forms.CustomerForm, "How can we reach the customer?"),
    Step("item", "Item", forms.ItemForm, "The item the claim is about, with photos."),
    Step(
        "warranty",
        "Warranty & receipt",
        forms.WarrantyForm,
        "When it was bought, and proof.",
        still_valid=lambda claim: not claim_needs_override(claim=claim),
    ),
    Step("address", "Shipping address", forms.AddressForm, "Where a replacement or refund goes."),
    Step("issue", "Issue & resolution", forms.IssueForm, "What went wrong, and what they want."),
    Step(
        "signature",
        "Signature",
        forms.SignatureForm,
        "Ask the customer to sign below.",
        on_review=True,
    ),
    Step(
        "review",
        "Sign & submit",
        None,
        "Go through it with the customer, ask them to sign, then submit.",
    ),
)
STEPS_BY_SLUG = {step.slug: step for step in STEPS}
FORM_STEPS = tuple(step for step in STEPS if step.form_class is not None)
# The pages an associate goes through, in the step bar's order.
PAGES = tuple(step for step in STEPS if not step.on_review)
REVIEW = STEPS_BY_SLUG["review"]
SIGNATURE = STEPS_BY_SLUG["signature"]


def all_form_steps_complete(claim: Claim) -> bool:
    return all(step.is_complete(claim) for step in FORM_STEPS)


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
    incomplete = next((step for step in FORM_STEPS if not step.is_complete(claim)), REVIEW)
    return page_of(incomplete)


def step_for_payload_field(field_path: str) -> tuple[Step, str] | None:
    """The step and form field that collected an API key such as "item.images[0]"."""
    key = field_path.split("[", 1)[0]
    for step in FORM_STEPS:
        if field_name := step.form_class.payload_fields.get(key):
            return step, field_name
    return None
