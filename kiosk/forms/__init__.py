"""One form per step of the claim. Each validates and normalises its own fields."""

from kiosk.forms.address import AddressForm
from kiosk.forms.base import ClaimStepForm
from kiosk.forms.customer import CustomerForm
from kiosk.forms.issue import IssueForm
from kiosk.forms.item import ItemForm
from kiosk.forms.signature import SignatureForm
from kiosk.forms.warranty import WarrantyForm

__all__ = [
    "AddressForm",
    "ClaimStepForm",
    "CustomerForm",
    "IssueForm",
    "ItemForm",
    "SignatureForm",
    "WarrantyForm",
]
