"""Stores: visible to their managers, changed only by superusers."""

from django.contrib import admin

from kiosk.admin.base import StoreScopedAdminMixin
from kiosk.models import Store
from kiosk.selectors.scoping import stores_visible_to


def _stores_of(user, queryset):
    return queryset.filter(pk__in=stores_visible_to(user))


@admin.register(Store)
class StoreAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(_stores_of)
    list_display = [
        "name",
        "source_store_id",
        "default_country",
        "default_state",
        "time_zone",
        "language",
        "receipt_required",
        "signature_required",
    ]
    search_fields = ["name", "source_store_id"]
    filter_horizontal = ["members"]

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser
