"""The claim list and the claim's page: what managers use every day."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from kiosk.admin.base import ReadOnlyAdminMixin, StoreScopedAdminMixin, pretty_json
from kiosk.admin.export import ClaimExportMixin
from kiosk.admin.filters import (
    CheckedChoicesFieldListFilter,
    ClaimStateFilter,
    CustomerCopyFilter,
    DraftFilter,
    ProductFilter,
    RefusingChangeList,
    StoreFilter,
    SubmittedFilter,
    UndeliveredFilter,
    WarrantyOverrideFilter,
    abandoned_before,
)
from kiosk.admin.pagination import EstimatedCountPaginator
from kiosk.followup.tasks import customer_copy_retry
from kiosk.forms import AddressForm, CustomerForm, IssueForm
from kiosk.models import Claim, ClaimAttachment, ClaimStateChange, DeliveryAttempt
from kiosk.selectors.claim_search import claim_search_filter
from kiosk.selectors.dashboard import PERIODS, dashboard_for
from kiosk.selectors.scoping import claims_visible_to, stores_visible_to
from kiosk.selectors.timeline import claim_timeline
from kiosk.services.attachments import attachment_staff_url, public_media_base_url
from kiosk.services.coverage import claim_coverage
from kiosk.services.manager_actions import claims_retry


class DeliveryAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DeliveryAttempt
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
        "response",
    ]
    readonly_fields = fields
    ordering = ["number"]

    @admin.display(description="Response body")
    def response(self, attempt: DeliveryAttempt) -> str:
        return pretty_json(attempt.response_body)


class ClaimStateChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ClaimStateChange
    extra = 0
    fields = ["recorded_at", "state", "resolution", "reason", "source", "as_of", "flag", "store_id"]
    readonly_fields = fields
    verbose_name_plural = "State at OrderProtection"


@admin.register(Claim)
class ClaimAdmin(ClaimExportMixin, StoreScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    scope = staticmethod(claims_visible_to)
    list_display = [
        "claim_number_shown",
        "reference",
        "status_badge",
        "flags",
        "store",
        "customer_name",
        "customer_email",
        "item_name",
        "issue_type",
        "resolution",
        "created_by",
        "submitted",
    ]
    list_display_links = ["claim_number_shown", "reference"]
    list_filter = [
        DraftFilter,
        UndeliveredFilter,
        ("status", CheckedChoicesFieldListFilter),
        ("attention_reason", CheckedChoicesFieldListFilter),
        ClaimStateFilter,
        StoreFilter,
        ProductFilter,
        ("issue_type", CheckedChoicesFieldListFilter),
        ("resolution", CheckedChoicesFieldListFilter),
        "customer_language",
        WarrantyOverrideFilter,
        CustomerCopyFilter,
        SubmittedFilter,
    ]
    # The search box is served by get_search_results (index-backed exact matches).
    search_fields = ["reference"]
    search_help_text = (
        "A claim number or reference, an email, a phone number, a SKU, "
        "or the customer's first or last name."
    )
    list_select_related = ["store", "created_by"]
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    ordering = ["-submitted_at", "-id"]
    inlines = [DeliveryAttemptInline, ClaimStateChangeInline]
    actions = ["retry_delivery", "resend_customer_copy", "export_selected"]
    fieldsets = [
        (
            "Claim",
            {
                "fields": [
                    "reference",
                    "claim_number",
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
                    "unknown_outcome_since",
                    "possible_duplicates",
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
                    "orderprotection_id",
                ]
            },
        ),
        ("Images", {"fields": ["signature_image", "photos"]}),
        ("Customer", {"fields": [*CustomerForm.Meta.fields, "customer_language"]}),
        (
            "Item",
            {
                "fields": [
                    "catalog_product",
                    "item_name",
                    "item_sku",
                    "item_price",
                    "item_details",
                    "item_source_product_id",
                    "item_source_variant_id",
                    "item_source_item_id",
                    "item_sub_issue_id",
                    "item_product_image_url",
                ]
            },
        ),
        (
            "Warranty",
            {
                "fields": [
                    "date_of_purchase",
                    "receipt_required",
                    "warranty_period",
                    "coverage",
                    "warranty_override_reason",
                    "product_description",
                ]
            },
        ),
        (
            "Shipping address",
            {"fields": [f for f in AddressForm.Meta.fields if f not in CustomerForm.Meta.fields]},
        ),
        ("Issue and resolution", {"fields": IssueForm.Meta.fields}),
        ("Sent and received", {"fields": ["request_json", "response_status", "response_json"]}),
        (
            "The customer's copy",
            {"fields": ["customer_copy_status", "customer_copy_sent_at", "customer_copy_error"]},
        ),
    ]

    def get_changelist(self, request, **kwargs):
        return RefusingChangeList

    def get_readonly_fields(self, request, obj=None):
        return [field for _, options in self.fieldsets for field in options["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("attachments")

    def get_search_results(self, request, queryset, search_term):
        regions = list(stores_visible_to(request.user).values_list("default_country", flat=True))
        return queryset.filter(claim_search_filter(search_term, regions=regions)), False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if hasattr(response, "context_data") and response.context_data.get("original"):
            response.context_data["timeline"] = claim_timeline(
                claim=response.context_data["original"]
            )
        return response

    # -- columns ----------------------------------------------------------------------

    @admin.display(description="Claim number", ordering="claim_number")
    def claim_number_shown(self, claim: Claim) -> str:
        return claim.claim_number or "—"

    @admin.display(description="Delivery status", ordering="status")
    def status_badge(self, claim: Claim) -> str:
        if claim.status == Claim.Status.DRAFT:
            abandoned = claim.updated_at < abandoned_before()
            label = "Abandoned draft" if abandoned else "Draft"
            age = timezone.now() - claim.created_at
            return format_html(
                "<span class='status-badge status-draft{}'>{}, {} days old</span>",
                " abandoned" if abandoned else "",
                label,
                age.days,
            )
        return format_html(
            "<span class='status-badge status-{}'>{}</span>", claim.status, claim.status_label
        )

    @admin.display(description="Flags")
    def flags(self, claim: Claim) -> str:
        """What a manager should notice: an expired warranty filed anyway, a copy not sent."""
        badges = []
        if claim.warranty_override_reason:
            badges.append(("flag-override", claim.warranty_override_reason, "Warranty override"))
        if claim.customer_copy_status == Claim.CustomerCopyStatus.FAILED:
            badges.append(("flag-copy-failed", claim.customer_copy_error, "Copy not sent"))
        if not badges:
            return ""
        return format_html_join(" ", "<span class='status-badge {}' title='{}'>{}</span>", badges)

    @admin.display(description="Coverage today")
    def coverage(self, claim: Claim) -> str:
        coverage = claim_coverage(claim=claim)
        return coverage.label if coverage else "—"

    @admin.display(description="From the catalog")
    def catalog_product(self, claim: Claim) -> str:
        variant = claim.catalog_variant
        if variant is None:
            return "— (typed in)"
        url = reverse("admin:kiosk_product_change", args=[variant.product_id])
        claims = reverse("admin:kiosk_claim_changelist") + f"?product={variant.product_id}"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">every claim of this product</a>',
            url,
            variant,
            claims,
        )

    @admin.display(description="Customer", ordering="ship_last_name")
    def customer_name(self, claim: Claim) -> str:
        return claim.customer_name or "—"

    @admin.display(description="Submitted", ordering="submitted_at")
    def submitted(self, claim: Claim) -> str:
        if not claim.submitted_at:
            return "—"
        return timezone.localtime(claim.submitted_at).strftime("%Y-%m-%d %H:%M:%S")

    @admin.display(description="Signature")
    def signature_image(self, claim: Claim) -> str:
        signatures = claim.attachments_of(ClaimAttachment.Kind.SIGNATURE)
        if not signatures:
            return "No signature"
        return format_html(
            "<a href='{}'><img src='{}' alt='Signature' class='audit-signature'></a>",
            attachment_staff_url(attachment=signatures[-1]),
            attachment_staff_url(attachment=signatures[-1], thumbnail=True),
        )

    @admin.display(description="Photos")
    def photos(self, claim: Claim) -> str:
        photos = [a for a in claim.attachments.all() if a.kind != ClaimAttachment.Kind.SIGNATURE]
        if not photos:
            return "No photos"
        return format_html_join(
            "",
            "<figure class='audit-figure'><a href='{0}' target='_blank' title='{2}'>"
            "<img src='{1}' alt='{2}' class='audit-photo'></a><figcaption>{2}{3}</figcaption>"
            "</figure>",
            (
                (
                    attachment_staff_url(attachment=a),
                    attachment_staff_url(attachment=a, thumbnail=True),
                    a.get_kind_display(),
                    " (removed)" if a.removed_at else "",
                )
                for a in photos
            ),
        )

    @admin.display(description="Request sent")
    def request_json(self, claim: Claim) -> str:
        return pretty_json(claim.request_payload)

    @admin.display(description="Response received")
    def response_json(self, claim: Claim) -> str:
        return pretty_json(claim.response_body)

    # -- actions ----------------------------------------------------------------------

    @admin.action(
        description="Retry delivery of selected claims that need attention",
        permissions=["retry_delivery"],
    )
    def retry_delivery(self, request, queryset):
        """Asks why first; the retry is then on each claim's record with the reason."""
        needing = queryset.filter(status=Claim.Status.NEEDS_ATTENTION)
        others = queryset.exclude(status=Claim.Status.NEEDS_ATTENTION).count()
        reason = request.POST.get("reason", "").strip()
        if "confirmed" not in request.POST or not reason:
            context = self.admin_site.each_context(request) | {
                "title": "Retry delivery",
                "opts": self.opts,
                "claims": needing,
                "others": others,
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "reason_missing": "confirmed" in request.POST,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/kiosk/claim/retry_confirmation.html", context)
        queued, refused = claims_retry(
            user=request.user,
            claims=list(needing),
            reason=reason,
            media_base_url=public_media_base_url(),
        )
        if queued:
            references = ", ".join(c.reference for c in queued)
            self.message_user(
                request, f"Queued for delivery again: {references}.", messages.SUCCESS
            )
        if refused:
            details = "; ".join(f"{c.reference} ({c.last_error})" for c in refused)
            self.message_user(request, f"Not queued, still incomplete: {details}.", messages.ERROR)
        if others:
            self.message_user(
                request,
                f"{others} selected claim(s) did not need attention and were left alone.",
                messages.WARNING,
            )
        return None

    def has_retry_delivery_permission(self, request) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.retry_delivery")

    @admin.action(
        description="Send the customer's copy again where it failed",
        permissions=["retry_delivery"],
    )
    def resend_customer_copy(self, request, queryset):
        failed = list(queryset.filter(customer_copy_status=Claim.CustomerCopyStatus.FAILED))
        queued = [claim for claim in failed if customer_copy_retry(claim=claim)]
        if queued:
            references = ", ".join(c.reference for c in queued)
            self.message_user(
                request, f"The customer's copy is queued again: {references}.", messages.SUCCESS
            )
        if others := queryset.count() - len(queued):
            self.message_user(
                request,
                f"{others} selected claim(s) had no failed copy and were left alone.",
                messages.WARNING,
            )

    # -- extra pages: export of everything matching, and the dashboard ----------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("export/", wrap(self.export_view), name="kiosk_claim_export"),
            path("dashboard/", wrap(self.dashboard_view), name="kiosk_claim_dashboard"),
            *super().get_urls(),
        ]

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        summary = dashboard_for(user=request.user, period=request.GET.get("period", "7d"))
        changelist = reverse("admin:kiosk_claim_changelist")
        context = self.admin_site.each_context(request) | {
            "title": "Dashboard",
            "opts": self.opts,
            "summary": summary,
            "periods": PERIODS,
            "changelist": changelist,
        }
        return TemplateResponse(request, "admin/kiosk/claim/dashboard.html", context)
