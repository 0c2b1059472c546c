"""The store's catalog on the tablet: search as you type, and the copy it keeps for offline."""

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import condition, require_GET

from kiosk.selectors.catalog import catalog_copy, catalog_search, catalog_version
from kiosk.views import associate_claim


@never_cache
@require_GET
def catalog_search_view(request: HttpRequest, reference: str) -> JsonResponse:
    """The claim's store's products for what the associate typed or scanned (`q`)."""
    claim = associate_claim(request, reference)
    query = request.GET.get("q", "")[:200]
    return JsonResponse(
        {"query": query, "results": catalog_search(store=claim.store, query=query)},
        encoder=DjangoJSONEncoder,
    )


def _tablet_catalog_version(request: HttpRequest) -> str | None:
    return catalog_version(store=request.tablet.store) if request.tablet else None


@cache_control(private=True, no_cache=True)
@require_GET
@condition(etag_func=_tablet_catalog_version)
def catalog_copy_view(request: HttpRequest) -> JsonResponse:
    """The tablet's store's whole catalog, for search while the Wi-Fi is gone; answered
    304 Not Modified when the tablet's copy (If-None-Match) is current."""
    if request.tablet is None:
        raise Http404("Only on a store's tablet.")
    store = request.tablet.store
    return JsonResponse(
        {"version": catalog_version(store=store), "entries": catalog_copy(store=store)},
        encoder=DjangoJSONEncoder,
    )
