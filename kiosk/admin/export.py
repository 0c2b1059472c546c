"""Taking claims out of the desk as CSV: the selected ones, or everything the list matches.

Every export is recorded (ManagerAction EXPORT) with the filters and the number of rows.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiosk.models import ManagerAction
from kiosk.selectors.export import claims_csv_rows
from kiosk.services.manager_actions import manager_action_record


class ClaimExportMixin:
    """For ClaimAdmin: the export action, and the export page its get_urls serves."""

    @admin.action(
        description=gettext_lazy("Export selected claims to CSV"), permissions=["export_claims"]
    )
    def export_selected(self, request, queryset):
        return self._csv_response(request, queryset, {"selected": queryset.count()})

    def has_export_claims_permission(self, request) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.export_claims")

    def export_view(self, request):
        """Everything the current filters and search match, as CSV.

        GET shows what would be exported and asks to confirm; only the POST that follows
        exports, and only it is recorded (a prefetched or previewed link records nothing).
        """
        if not self.has_export_claims_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
        if request.method == "POST" and not changelist.refusals:
            filters = {key: value for key, value in request.GET.items()}
            return self._csv_response(request, queryset, {"filters": filters})
        context = self.admin_site.each_context(request) | {
            "title": _("Export claims to CSV"),
            "opts": self.opts,
            "rows": queryset.count(),
            "filters": sorted(request.GET.items()),
            "refusals": changelist.refusals,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(
            request, "admin/kiosk/claim/export_confirmation.html", context, status=status
        )

    def _csv_response(self, request, queryset, detail: dict) -> StreamingHttpResponse:
        queryset = queryset.order_by("-submitted_at", "-id")
        rows = queryset.count()
        manager_action_record(
            user=request.user,
            action=ManagerAction.Action.EXPORT,
            reason="CSV export",
            detail=detail | {"rows": rows},
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        response = StreamingHttpResponse(
            claims_csv_rows(queryset), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="claims-{stamp}.csv"'
        return response
