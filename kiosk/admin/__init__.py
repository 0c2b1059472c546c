"""The manager's desk: the Django admin, scoped to each manager's stores, read-only audit."""

from django.contrib import admin

from kiosk.admin import claims, records, stores, tablets  # noqa: F401  (register the model admins)

admin.site.site_header = "Store Claims — manager desk"
admin.site.site_title = "Store Claims"
admin.site.index_title = "Claims filed at your stores"
# The desk is used on tablets too: the index and breadcrumbs are the navigation.
admin.site.enable_nav_sidebar = False
