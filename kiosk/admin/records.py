"""The audit record beside the claims: attempts, webhook events and manager actions."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kiosk.admin.base import ReadOnlyAdminMixin, StoreScopedAdminMixin, pretty_json
from kiosk.models import DeliveryAttempt, ManagerAction, WebhookEvent
from kiosk.selectors.scoping import attempts_visible_to, manager_actions_visible_to


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(StoreScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    scope = staticmethod(attempts_visible_to)
    list_display = [
        "claim",
        "number",
        "started_at",
        "kind",
        "duration_ms",
        "status_code",
        "outcome",
        "decision",
        "sent_from",
    ]
    list_filter = ["kind", "outcome", "sent_from", "status_code"]
    search_fields = ["claim__reference", "claim__claim_number"]
    list_select_related = ["claim"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    fields = [
        "claim",
        "number",
        "kind",
        "started_at",
        "duration_ms",
        "sent_from",
        "url",
        "status_code",
        "outcome",
        "decision",
        "error_class",
        "error_message",
        "request",
        "response",
    ]
    readonly_fields = fields

    @admin.display(description=_("Request body"))
    def request(self, attempt: DeliveryAttempt) -> str:
        return pretty_json(attempt.request_body)

    @admin.display(description=_("Response body"))
    def response(self, attempt: DeliveryAttempt) -> str:
        return pretty_json(attempt.response_body)


@admin.register(ManagerAction)
class ManagerActionAdmin(ReadOnlyAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(manager_actions_visible_to)
    list_display = ["at", "user", "action", "claim", "reason", "detail"]
    list_filter = ["action"]
    list_select_related = ["user", "claim"]
    show_full_result_count = False
    fields = ["at", "user", "action", "claim", "reason", "detail"]
    readonly_fields = fields


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every event OrderProtection posted, as it came. For superusers: events name any store."""

    list_display = ["received_at", "topic", "event_id", "claim", "outcome", "processed_at"]
    list_filter = ["topic"]
    search_fields = ["event_id", "claim__reference", "claim__claim_number"]
    list_select_related = ["claim"]
    show_full_result_count = False
    fields = [
        "event_id",
        "topic",
        "received_at",
        "occurred_at",
        "claim",
        "outcome",
        "processed_at",
        "body_json",
    ]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    @admin.display(description=_("Body"))
    def body_json(self, event: WebhookEvent) -> str:
        return pretty_json(event.body)
