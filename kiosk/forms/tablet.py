from django import forms
from django.utils.translation import gettext_lazy as _

from kiosk.models import Store


class TabletSignInForm(forms.Form):
    store = forms.ModelChoiceField(queryset=Store.objects.none(), empty_label=None)
    name = forms.CharField(
        label=_("Name of this tablet"),
        max_length=100,
        initial=_("Counter tablet"),
        help_text=_("Shown to managers, so they can sign it out."),
    )

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores


class PinForm(forms.Form):
    pin = forms.CharField(
        label=_("PIN"),
        min_length=4,
        max_length=6,
        widget=forms.PasswordInput(
            attrs={
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "autocomplete": "off",
                "autofocus": True,
                "class": "form-control form-control-lg pin-input",
            }
        ),
    )
