"""What the desk's model admins share: read-only audit, and scoping to the user's stores."""

import json

from django.contrib.admin.utils import unquote
from django.http import Http404
from django.utils.html import format_html
from django.utils.translation import gettext as _


class ReadOnlyAdminMixin:
    """The audit record: visible, never editable or deletable, superusers included."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class StoreScopedAdminMixin:
    """Only the objects of the user's stores: in lists, search, filters, detail and actions.

    `scope` narrows a queryset for a user: a staticmethod of a kiosk.selectors.scoping function.
    Another store's object opened by its URL is a 404, as if it did not exist.
    """

    scope = None

    def get_queryset(self, request):
        return self.scope(request.user, super().get_queryset(request))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._object_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._object_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def _object_or_404(self, request, object_id) -> None:
        try:
            found = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, TypeError):
            found = False
        if not found:
            raise Http404(_("No %(thing)s with that ID.") % {"thing": self.opts.verbose_name})


def pretty_json(value) -> str:
    """JSON, indented and wrapped, never cut off; text that is not JSON is shown as it is."""
    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return format_html("<pre class='audit-json'>{}</pre>", value)
    return format_html(
        "<pre class='audit-json'>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False)
    )
