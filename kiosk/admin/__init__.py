"""The manager's desk: the Django admin (kiosk.admin_site.DeskAdminSite, the default site),
scoped to each manager's stores, read-only audit."""

from kiosk.admin import catalog, claims, records, stores, tablets, users  # noqa: F401  (register the model admins)
