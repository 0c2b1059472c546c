"""The desk's admin site: for staff who signed in with their password.

Outside the kiosk.admin package, which registers the model admins on this site.
"""

from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _

from kiosk.auth_backends import pin_session


class DeskAdminSite(admin.AdminSite):
    site_header = _("Store Claims — manager desk")
    site_title = _("Store Claims")
    index_title = _("Claims filed at your stores")
    # The desk is used on tablets too: the index and breadcrumbs are the navigation.
    enable_nav_sidebar = False

    def has_permission(self, request) -> bool:
        """Never a PIN session, whoever it belongs to: the desk asks for the password."""
        return super().has_permission(request) and not pin_session(request)

    def get_urls(self):
        # Imported here: kiosk.admin registers its model admins on this site.
        from kiosk.admin.barcode_sheet import barcode_sheet_view

        sheet = self.admin_view(lambda request: barcode_sheet_view(request, self))
        return [path("barcodes/", sheet, name="barcode_sheet"), *super().get_urls()]
