from crispy_forms.layout import Div, Field, Layout
from django import forms
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from kiosk.choices import ClaimCategory, IssueType, Resolution, issue_types_offered
from kiosk.delivery.fields import COLLECTED_BY
from kiosk.forms.base import ClaimStepForm
from kiosk.forms.fields import Advanced, columns
from kiosk.models import Claim

# The first issue types of the claim's category are tiles; the others sit behind
# "Another problem…".
ISSUE_TILES = 3
OTHER_PROBLEM = "other"


class IssueForm(ClaimStepForm):
    payload_fields = COLLECTED_BY["issue"]
    issue_type = forms.ChoiceField(
        label=gettext_lazy("What kind of problem?"), widget=forms.RadioSelect
    )
    other_issue_type = forms.ChoiceField(
        label=gettext_lazy("Which problem?"), required=False, widget=forms.RadioSelect
    )
    resolution = forms.ChoiceField(
        label=_("What does the customer want?"),
        choices=Resolution.choices,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Claim
        fields = [
            "issue_type",
            "resolution",
            "sales_channel",
            "claim_category",
            "claim_filed_from",
            "from_valet",
            "require_customer_signature",
        ]
        labels = {
            "sales_channel": _("Sales channel"),
            "claim_category": _("Claim category"),
            "claim_filed_from": _("Claim filed from"),
            "from_valet": _("From valet"),
            "require_customer_signature": _("OrderProtection asks the customer to sign"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("sales_channel", "claim_category", "claim_filed_from"):
            self.fields[name].required = True
        tiles, others = self._issue_types()
        self.fields["issue_type"].choices = [
            *((value, IssueType(value).label) for value in tiles),
            *([(OTHER_PROBLEM, _("Another problem…"))] if others else []),
        ]
        self.fields["other_issue_type"].choices = [
            (value, IssueType(value).label) for value in others
        ]
        if self.instance.issue_type in others:
            self.initial["issue_type"] = OTHER_PROBLEM
            self.initial["other_issue_type"] = self.instance.issue_type
        self.helper.layout = Layout(
            Div(
                Div(
                    Field("issue_type", wrapper_class="choice-tiles"),
                    *(
                        [
                            Div(
                                Field("other_issue_type", wrapper_class="choice-tiles"),
                                css_class="other-problems",
                                data_other_problems="",
                            )
                        ]
                        if others
                        else []
                    ),
                    css_class="col-md-7",
                ),
                Div(Field("resolution", wrapper_class="choice-tiles"), css_class="col-md-5"),
                css_class="row",
            ),
            Advanced(
                _("the store's filing policy"),
                columns("sales_channel", "claim_category", "claim_filed_from"),
                "from_valet",
                "require_customer_signature",
            ),
        )

    def _issue_types(self) -> tuple[list[str], list[str]]:
        """The tiles and the other problems offered: the types of the claim's category (as
        posted, or as saved), and the type the claim already has even when its category
        does not offer it, so that it shows and stays valid."""
        category = self.data.get(self.add_prefix("claim_category")) or self.claim.claim_category
        if category not in ClaimCategory.values:
            category = self.claim.claim_category
        offered = issue_types_offered(category)
        current = self.claim.issue_type
        if current in IssueType.values and current not in offered:
            offered.append(current)
        return offered[:ISSUE_TILES], offered[ISSUE_TILES:]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("issue_type") == OTHER_PROBLEM:
            if not cleaned.get("other_issue_type"):
                self.add_error("other_issue_type", _("Choose the problem."))
            else:
                cleaned["issue_type"] = cleaned["other_issue_type"]
                self.instance.issue_type = cleaned["issue_type"]
        return cleaned
