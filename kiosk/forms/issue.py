from crispy_forms.layout import Div, Field, Fieldset, Layout
from django import forms

from kiosk.choices import IssueType, Resolution
from kiosk.forms.base import ClaimStepForm
from kiosk.forms.fields import columns
from kiosk.models import Claim


class IssueForm(ClaimStepForm):
    payload_fields = {
        "issueType": "issue_type",
        "resolution": "resolution",
        "salesChannel": "sales_channel",
        "claimCategory": "claim_category",
        "claimFiledFrom": "claim_filed_from",
        "options.fromValet": "from_valet",
        "options.requireCustomerSignature": "require_customer_signature",
    }
    issue_type = forms.ChoiceField(
        label="What happened?", choices=IssueType.choices, widget=forms.RadioSelect
    )
    resolution = forms.ChoiceField(
        label="What does the customer want?", choices=Resolution.choices, widget=forms.RadioSelect
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
            "claim_filed_from": "Claim filed from",
            "from_valet": "From valet",
            "require_customer_signature": "Require the customer's signature",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("sales_channel", "claim_category", "claim_filed_from"):
            self.fields[name].required = True
        self.helper.layout = Layout(
            Div(
                Div(Field("issue_type", wrapper_class="choice-tiles"), css_class="col-md-7"),
                Div(Field("resolution", wrapper_class="choice-tiles"), css_class="col-md-5"),
                css_class="row",
            ),
            Fieldset(
                "Filing options",
                columns("sales_channel", "claim_category", "claim_filed_from"),
                "from_valet",
                "require_customer_signature",
            ),
        )
