"""The desk's printable sheet of the catalog's barcodes: each variant of the store's
products as an EAN-13 or UPC-A, to try the tablet's camera with (docs/catalog.md).

Served by DeskAdminSite.get_urls as admin:barcode_sheet. It only reads the catalog.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kiosk.barcode_drawing import barcode_svg, printable_code
from kiosk.models import Store, Variant
from kiosk.selectors.scoping import stores_visible_to

PER_PAGE = 60  # five A4 or Letter pages of 3 × 4 labels


@dataclass(frozen=True)
class BarcodeLabel:
    variant: Variant
    code: str
    svg: SafeString


def _variants(request: HttpRequest, store: Store | None):
    stores = [store] if store else stores_visible_to(request.user)
    return (
        Variant.objects.filter(product__stores__in=stores)
        .exclude(barcode="")
        .select_related("product")
        .distinct()
        .order_by("product__name", "title", "pk")
    )


def barcode_sheet_view(request: HttpRequest, admin_site) -> HttpResponse:
    if not request.user.has_perm("kiosk.view_variant"):
        raise PermissionDenied
    stores = stores_visible_to(request.user).order_by("name")
    store = (
        stores.filter(pk=request.GET.get("store")).first()
        if request.GET.get("store", "").isdigit()
        else None
    )
    page = Paginator(_variants(request, store), PER_PAGE).get_page(request.GET.get("page"))
    labels, unprintable = [], []
    for variant in page:
        code = printable_code(variant.barcode)
        if code:
            # Our own SVG of digits only: nothing of the variant's text is in it.
            labels.append(BarcodeLabel(variant, code, mark_safe(barcode_svg(code))))
        else:
            unprintable.append(variant)
    context = admin_site.each_context(request) | {
        "title": _("Barcodes to scan"),
        "stores": stores,
        "store": store,
        "page": page,
        "labels": labels,
        "unprintable": unprintable,
    }
    return TemplateResponse(request, "admin/kiosk/barcode_sheet.html", context)
