import json

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from kiosk.forms import AddressForm, CustomerForm, IssueForm, ItemForm
from kiosk.models import (
    Claim,
    ClaimAttachment,
    ClaimStateChange,
    Store,
    SubmissionAttempt,
    WebhookEvent,
)
from kiosk.services.claim_state import STATE_LABELS, claim_state_label
from kiosk.services.submission import claim_retry_delivery
from kiosk.views import public_media_base_url

admin.site.site_header = "Store Claims — manager desk"
admin.site.site_title = "Store Claims"
admin.site.index_title = "Claims filed at your stores"


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "source_store_id",
        "default_country",
        "receipt_required",
        "signature_required",
    ]
    search_fields = ["name", "source_store_id"]
    filter_horizontal = ["members"]


class ReadOnlyAdminMixin:
    """The audit record: visible, never editable."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SubmissionAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SubmissionAttempt
    extra = 0
    fields = [
        "number",
        "started_at",
        "kind",
        "sent_from",
        "duration_ms",
        "status_code",
        "outcome",
        "decision",
        "error_message",
        "response_preview",
    ]
    readonly_fields = fields
    ordering = ["number"]

    @admin.display(description="Response body")
    def response_preview(self, attempt: SubmissionAttempt) -> str:
        return format_html("<pre class='audit-json'>{}</pre>", attempt.response_body[:2000])


class ClaimStateFilter(admin.SimpleListFilter):
    title = "state at OrderProtection"
    parameter_name = "claim_state"

    def lookups(self, request, model_admin):
        return [(state, claim_state_label(state)) for state in STATE_LABELS]

    def queryset(self, request, queryset):
        return queryset.filter(claim_state=self.value()) if self.value() else queryset


class ClaimStateChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ClaimStateChange
    extra = 0
    fields = ["recorded_at", "state", "resolution", "reason", "source"]
    readonly_fields = fields
    verbose_name_plural = "State at OrderProtection"


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "claim_number",
        "reference",
        "status_display",
        "store",
        "customer_email",
        "item_sku",
        "issue_type",
        "resolution",
        "created_by",
        "created_at",
    ]
    list_display_links = ["claim_number", "reference"]
    list_filter = [
        "status",
        "attention_reason",
        ClaimStateFilter,
        "store",
        "issue_type",
        "resolution",
        "created_at",
    ]
    search_fields = [
        "reference",
        "source_order_id",
        "customer_email",
        "customer_phone",
        "item_sku",
        "item_name",
        "ship_last_name",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["store", "created_by"]
    show_full_result_count = False
    inlines = [SubmissionAttemptInline, ClaimStateChangeInline]
    actions = ["retry_delivery"]
    fieldsets = [
        (
            "Claim",
            {
                "fields": [
                    "reference",
                    "source_order_id",
                    "status",
                    "attention_reason",
                    "store",
                    "created_by",
                    "created_at",
                    "submitted_at",
                    "filed_at",
                    "last_error",
                    "last_error_field",
                ]
            },
        ),
        (
            "Delivery",
            {
                "fields": [
                    "idempotency_key",
                    "queued_at",
                    "delivery_attempts",
                    "next_attempt_at",
                    "sending_started_at",
                ]
            },
        ),
        (
            "At OrderProtection",
            {
                "fields": [
                    "claim_state",
                    "claim_state_at",
                    "op_resolution",
                    "op_denial_reason",
                    "op_claim_id",
                    "unknown_outcome_since",
                    "possible_duplicates",
                ]
            },
        ),
        ("Images", {"fields": ["signature_image", "photos"]}),
        ("Customer", {"fields": CustomerForm.Meta.fields}),
        ("Item", {"fields": ItemForm.Meta.fields}),
        (
            "Warranty",
            {
                "fields": [
                    "date_of_purchase",
                    "receipt_required",
                    "warranty_period",
                    "product_description",
                ]
            },
        ),
        ("Shipping address", {"fields": AddressForm.Meta.fields}),
        ("Issue and resolution", {"fields": IssueForm.Meta.fields}),
        ("Sent and received", {"fields": ["request_json", "response_status", "response_json"]}),
    ]

    @admin.display(description="Status", ordering="status")
    def status_display(self, claim: Claim) -> str:
        return claim.status_label

    @admin.action(
        description="Retry delivery of selected claims that need attention",
        permissions=["retry_delivery"],
    )
    def retry_delivery(self, request, queryset):
        media_base_url = public_media_base_url(request)
        queued, incomplete = [], []
        for claim in queryset.filter(status=Claim.Status.NEEDS_ATTENTION):
            if claim_retry_delivery(claim=claim, media_base_url=media_base_url):
                queued.append(claim.reference)
            else:
                incomplete.append(f"{claim.reference} ({claim.last_error})")
        others = queryset.exclude(status=Claim.Status.NEEDS_ATTENTION).count()
        if queued:
            self.message_user(
                request, f"Queued for delivery again: {', '.join(queued)}.", messages.SUCCESS
            )
        if incomplete:
            self.message_user(
                request, f"Not queued, still incomplete: {'; '.join(incomplete)}.", messages.ERROR
            )
        if others:
            self.message_user(
                request,
                f"{others} selected claim(s) did not need attention and were left alone.",
                messages.WARNING,
            )

    def has_retry_delivery_permission(self, request) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.retry_delivery")

    @admin.display(description="Claim number", ordering="source_order_id")
    def claim_number(self, claim: Claim) -> str:
        return claim.source_order_id or "—"

    @admin.display(description="Signature")
    def signature_image(self, claim: Claim) -> str:
        signatures = claim.attachments_of(ClaimAttachment.Kind.SIGNATURE)
        if not signatures:
            return "No signature"
        return format_html(
            "<img src='{}' alt='Signature' class='audit-signature'>", signatures[-1].file.url
        )

    @admin.display(description="Photos")
    def photos(self, claim: Claim) -> str:
        photos = [a for a in claim.attachments.all() if a.kind != ClaimAttachment.Kind.SIGNATURE]
        if not photos:
            return "No photos"
        return format_html_join(
            "",
            "<a href='{0}' target='_blank' title='{1}'>"
            "<img src='{0}' alt='{1}' class='audit-photo'></a>",
            ((a.file.url, a.get_kind_display()) for a in photos),
        )

    @admin.display(description="Request sent")
    def request_json(self, claim: Claim) -> str:
        return _pretty_json(claim.request_payload)

    @admin.display(description="Response received")
    def response_json(self, claim: Claim) -> str:
        return _pretty_json(claim.response_body)

    def get_readonly_fields(self, request, obj=None):
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("attachments")


@admin.register(SubmissionAttempt)
class SubmissionAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "claim",
        "number",
        "started_at",
        "duration_ms",
        "status_code",
        "kind",
        "outcome",
        "decision",
        "sent_from",
    ]
    list_filter = ["kind", "outcome", "sent_from", "status_code"]
    search_fields = ["claim__reference", "claim__source_order_id"]
    date_hierarchy = "started_at"
    list_select_related = ["claim"]
    show_full_result_count = False


def _pretty_json(value) -> str:
    if value is None:
        return "—"
    return format_html(
        "<pre class='audit-json'>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False)
    )


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every event OrderProtection posted, as it came. For superusers: events name any store."""

    list_display = ["received_at", "topic", "event_id", "claim", "outcome", "processed_at"]
    list_filter = ["topic"]
    search_fields = ["event_id", "claim__reference", "claim__source_order_id"]
    list_select_related = ["claim"]
    show_full_result_count = False
    fields = ["event_id", "topic", "received_at", "claim", "outcome", "processed_at", "body_json"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    @admin.display(description="Body")
    def body_json(self, event: WebhookEvent) -> str:
        return _pretty_json(event.body)
