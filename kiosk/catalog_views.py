"""The store's catalog on the tablet: search as you type, and the copy it keeps for offline."""

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from kiosk.selectors.catalog import catalog_copy, catalog_search, catalog_version
from kiosk.views import associate_claim


@never_cache
@require_GET
def catalog_search_view(request: HttpRequest, reference: str) -> JsonResponse:
    """The claim's store's products for what the associate typed or scanned (`q`)."""
    claim = associate_claim(request, reference, attachments=False)
    query = request.GET.get("q", "")[:200]
    return JsonResponse(
        {"query": query, "results": catalog_search(store=claim.store, query=query)},
        encoder=DjangoJSONEncoder,
    )


@cache_control(private=True, no_cache=True)
@require_GET
def catalog_copy_view(request: HttpRequest) -> HttpResponse:
    """The tablet's store's whole catalog, for search while the Wi-Fi is gone; answered
    304 Not Modified when the tablet's copy (If-None-Match) is current."""
    if request.tablet is None:
        raise Http404(_("Only on a store's tablet."))
    store = request.tablet.store
    version = catalog_version(store=store)
    etag = f'"{version}"'
    if unchanged := get_conditional_response(request, etag=etag):
        return unchanged
    response = JsonResponse(
        {"version": version, "entries": catalog_copy(store=store)}, encoder=DjangoJSONEncoder
    )
    response["ETag"] = etag
    return response
