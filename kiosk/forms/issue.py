from crispy_forms.layout import Div, Field, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from kiosk.choices import IssueType, Resolution
from kiosk.delivery.fields import COLLECTED_BY
from kiosk.forms.base import ClaimStepForm
from kiosk.forms.fields import Advanced, columns
from kiosk.models import Claim

# A warranty claim is about one of these; the shipping problems sit behind "Another problem".
WARRANTY_ISSUES = (IssueType.DEFECTIVE_ITEM, IssueType.DAMAGED, IssueType.MISSING_ITEM)
OTHER_PROBLEM = "other"


class IssueForm(ClaimStepForm):
    payload_fields = COLLECTED_BY["issue"]
    issue_type = forms.ChoiceField(label=_("What is wrong?"), widget=forms.RadioSelect)
    other_issue_type = forms.ChoiceField(
        label=_("Other problems"), required=False, widget=forms.RadioSelect
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
            "claim_filed_from": _("Claim filed from"),
            "from_valet": _("From valet"),
            "require_customer_signature": _("OrderProtection asks the customer to sign"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("sales_channel", "claim_category", "claim_filed_from"):
            self.fields[name].required = True
        self.fields["issue_type"].choices = [
            *((value, IssueType(value).label) for value in WARRANTY_ISSUES),
            (OTHER_PROBLEM, _("Another problem…")),
        ]
        self.fields["other_issue_type"].choices = [
            (value, label) for value, label in IssueType.choices if value not in WARRANTY_ISSUES
        ]
        if self.instance.issue_type and self.instance.issue_type not in WARRANTY_ISSUES:
            self.initial["issue_type"] = OTHER_PROBLEM
            self.initial["other_issue_type"] = self.instance.issue_type
        self.helper.layout = Layout(
            Div(
                Div(
                    Field("issue_type", wrapper_class="choice-tiles"),
                    Div(
                        Field("other_issue_type", wrapper_class="choice-tiles"),
                        css_class="other-problems",
                        data_other_problems="",
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

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("issue_type") == OTHER_PROBLEM:
            if not cleaned.get("other_issue_type"):
                self.add_error("other_issue_type", _("Choose the problem."))
            else:
                cleaned["issue_type"] = cleaned["other_issue_type"]
                self.instance.issue_type = cleaned["issue_type"]
        return cleaned
