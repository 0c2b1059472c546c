"""The desk's admin site: for staff who signed in with their password.

Outside the kiosk.admin package, which registers the model admins on this site.
"""

from django.contrib import admin

from kiosk.auth_backends import pin_session


class DeskAdminSite(admin.AdminSite):
    site_header = "Store Claims — manager desk"
    site_title = "Store Claims"
    index_title = "Claims filed at your stores"
    # The desk is used on tablets too: the index and breadcrumbs are the navigation.
    enable_nav_sidebar = False

    def has_permission(self, request) -> bool:
        """Never a PIN session, whoever it belongs to: the desk asks for the password."""
        return super().has_permission(request) and not pin_session(request)
