"""The claim list and the claim's page: what managers use every day."""

from collections.abc import Callable

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kiosk.admin.base import ReadOnlyAdminMixin, StoreScopedAdminMixin, pretty_json
from kiosk.admin.claim_actions import ClaimActionsMixin
from kiosk.admin.claim_page import claim_history_view, claim_page_context
from kiosk.admin.claim_risk import ClaimRiskMixin, risk_card_context
from kiosk.admin.export import ClaimExportMixin
from kiosk.admin.filters import (
    CheckedChoicesFieldListFilter,
    ClaimStateFilter,
    CustomerCopyFilter,
    DraftFilter,
    ProductFilter,
    RefusingChangeList,
    RiskFilter,
    StoreFilter,
    SubmittedFilter,
    UndeliveredFilter,
    WarrantyOverrideFilter,
    abandoned_before,
)
from kiosk.admin.pagination import EstimatedCountPaginator
from kiosk.display import local_time
from kiosk.followup.claim_state import claim_state_label
from kiosk.models import Claim, ClaimStateChange, DeliveryAttempt
from kiosk.selectors.claim_search import claim_search_filter
from kiosk.selectors.dashboard import PERIODS, dashboard_for
from kiosk.selectors.scoping import claims_visible_to, stores_visible_to


def local_time_of(name: str, description: str) -> Callable:
    """A column or field showing the claim's time `name` in its store's zone."""

    @admin.display(description=description, ordering=name)
    def shown(self, claim: Claim) -> str:
        return local_time(getattr(claim, name), claim.store.time_zone)

    shown.__name__ = f"{name}_local"
    return shown


class DeliveryAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    classes = ["collapse"]
    verbose_name_plural = _("Calls to OrderProtection")
    fields = [
        "number",
        "started",
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

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim__store")

    @admin.display(description=_("Started"))
    def started(self, attempt: DeliveryAttempt) -> str:
        return local_time(attempt.started_at, attempt.claim.store.time_zone)

    @admin.display(description=_("Response body"))
    def response(self, attempt: DeliveryAttempt) -> str:
        return pretty_json(attempt.response_body)


class ClaimStateChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ClaimStateChange
    extra = 0
    classes = ["collapse"]
    fields = [
        "recorded",
        "state",
        "resolution",
        "reason",
        "source",
        "as_of_local",
        "flag",
        "store_id",
    ]
    readonly_fields = fields
    verbose_name_plural = _("State at OrderProtection")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim__store")

    @admin.display(description=_("Recorded"))
    def recorded(self, change: ClaimStateChange) -> str:
        return local_time(change.recorded_at, change.claim.store.time_zone)

    @admin.display(description=_("As of"))
    def as_of_local(self, change: ClaimStateChange) -> str:
        return local_time(change.as_of, change.claim.store.time_zone)


@admin.register(Claim)
class ClaimAdmin(
    ClaimActionsMixin,
    ClaimExportMixin,
    ClaimRiskMixin,
    StoreScopedAdminMixin,
    ReadOnlyAdminMixin,
    admin.ModelAdmin,
):
    scope = staticmethod(claims_visible_to)
    # Narrow enough for 1280 px with the filters beside it (static/kiosk/admin.css);
    # the email, the associate and the rest are on the claim's page.
    list_display = [
        "claim_shown",
        "status_badge",
        "risk_shown",
        "store",
        "customer_shown",
        "item",
        "issue",
        "resolution",
        "submitted",
    ]
    list_display_links = ["claim_shown"]
    list_filter = [
        DraftFilter,
        UndeliveredFilter,
        RiskFilter,
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
    search_help_text = _(
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
    # What a manager decides on (the customer, item, issue, photos, warranty) leads the
    # page in people's words (kiosk/admin/claim_page.py); below it, folded, the record of
    # the delivery with its codes, for whoever looks into one.
    fieldsets = [
        (
            _("Delivery record"),
            {
                "classes": ["collapse"],
                "fields": [
                    "status",
                    "attention_reason",
                    "last_error",
                    "last_error_field",
                    "created_at_local",
                    "submitted_at_local",
                    "filed_at_local",
                    "idempotency_key",
                    "queued_at_local",
                    "delivery_attempts",
                    "next_attempt_at_local",
                    "sending_started_at_local",
                    "unknown_outcome_since_local",
                    "possible_duplicates",
                ],
            },
        ),
        (
            _("At OrderProtection"),
            {
                "classes": ["collapse"],
                "fields": [
                    "claim_state_shown",
                    "claim_state_at_local",
                    "op_resolution",
                    "op_denial_reason",
                    "orderprotection_id",
                ],
            },
        ),
        (
            _("Sent and received"),
            {
                "classes": ["collapse"],
                "fields": [
                    "item_source_product_id",
                    "item_source_variant_id",
                    "item_source_item_id",
                    "item_sub_issue_id",
                    "item_product_image_url",
                    "request_json",
                    "response_status",
                    "response_json",
                ],
            },
        ),
        (
            _("The customer's copy"),
            {
                "classes": ["collapse"],
                "fields": [
                    "customer_copy_status",
                    "customer_copy_sent_at_local",
                    "customer_copy_error",
                ],
            },
        ),
    ]

    created_at_local = local_time_of("created_at", _("Created"))
    submitted_at_local = local_time_of("submitted_at", _("Submitted"))
    filed_at_local = local_time_of("filed_at", _("Filed"))
    queued_at_local = local_time_of("queued_at", _("Queued"))
    next_attempt_at_local = local_time_of("next_attempt_at", _("Next attempt"))
    sending_started_at_local = local_time_of("sending_started_at", _("Sending since"))
    unknown_outcome_since_local = local_time_of("unknown_outcome_since", _("Outcome unknown since"))
    claim_state_at_local = local_time_of("claim_state_at", _("State since"))
    customer_copy_sent_at_local = local_time_of("customer_copy_sent_at", _("Sent"))

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
        claim = self.get_object(request, unquote(object_id))
        if claim is not None:
            extra_context = extra_context or {}
            risk = risk_card_context(claim, request.user, form=extra_context.get("risk_form"))
            extra_context = extra_context | claim_page_context(claim) | risk
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        """The claim's timeline: nobody changes a claim here, so Django's log is empty."""
        claim = self.get_object(request, unquote(object_id))
        if claim is None or not self.has_view_permission(request, claim):
            raise Http404(_("No claim with that ID."))
        return claim_history_view(self, request, claim)

    def get_list_display(self, request):
        """The store column only for someone who sees more than one store."""
        if stores_visible_to(request.user)[:2].count() > 1:
            return self.list_display
        return [column for column in self.list_display if column != "store"]

    # -- columns ----------------------------------------------------------------------

    @admin.display(description=_("Claim"), ordering="claim_number")
    def claim_shown(self, claim: Claim) -> str:
        """The claim number once filed, and the local reference under it."""
        if not claim.claim_number:
            return claim.reference
        return format_html(
            "{}<br><span class='quiet'>{}</span>", claim.claim_number, claim.reference
        )

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, claim: Claim) -> str:
        if claim.status == Claim.Status.DRAFT:
            abandoned = claim.updated_at < abandoned_before()
            age = (timezone.now() - claim.created_at).days
            label = (
                ngettext(
                    "Abandoned draft, %(days)d day old", "Abandoned draft, %(days)d days old", age
                )
                if abandoned
                else ngettext("Draft, %(days)d day old", "Draft, %(days)d days old", age)
            )
            return format_html(
                "<span class='status-badge status-draft{}'>{}</span>",
                " abandoned" if abandoned else "",
                label % {"days": age},
            )
        badge = format_html(
            "<span class='status-badge status-{}'>{}</span>", claim.status, claim.status_label
        )
        return format_html("{} {}", badge, self.flags(claim)) if self.flags(claim) else badge

    def flags(self, claim: Claim) -> str:
        """What a manager should notice: an expired warranty filed anyway, a copy not sent."""
        badges = []
        if claim.warranty_override_reason:
            badges.append(("flag-override", claim.warranty_override_reason, _("Warranty override")))
        if claim.customer_copy_status == Claim.CustomerCopyStatus.FAILED:
            badges.append(("flag-copy-failed", claim.customer_copy_error, _("Copy not sent")))
        if not badges:
            return ""
        return format_html_join(" ", "<span class='status-badge {}' title='{}'>{}</span>", badges)

    @admin.display(description=_("Customer"), ordering="ship_last_name")
    def customer_shown(self, claim: Claim) -> str:
        """The name, and the email under it."""
        name = claim.customer_name or "—"
        if not claim.customer_email:
            return name
        return format_html("{}<br><span class='quiet'>{}</span>", name, claim.customer_email)

    @admin.display(description=_("Item"), ordering="item_name")
    def item(self, claim: Claim) -> str:
        return claim.item_name or "—"

    @admin.display(description=_("Issue"), ordering="issue_type")
    def issue(self, claim: Claim) -> str:
        return claim.get_issue_type_display() or "—"

    @admin.display(description=_("Submitted"), ordering="submitted_at")
    def submitted(self, claim: Claim) -> str:
        return local_time(claim.submitted_at, claim.store.time_zone)

    @admin.display(description=_("State at OrderProtection"))
    def claim_state_shown(self, claim: Claim) -> str:
        if not claim.claim_state:
            return "—"
        return format_html(
            "{} <code>{}</code>", claim_state_label(claim.claim_state), claim.claim_state
        )

    @admin.display(description=_("Request sent"))
    def request_json(self, claim: Claim) -> str:
        return pretty_json(claim.request_payload)

    @admin.display(description=_("Response received"))
    def response_json(self, claim: Claim) -> str:
        return pretty_json(claim.response_body)

    # -- extra pages: export of everything matching, and the dashboard ----------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("export/", wrap(self.export_view), name="kiosk_claim_export"),
            path("dashboard/", wrap(self.dashboard_view), name="kiosk_claim_dashboard"),
            # Before the admin's own: its "<path:object_id>/" would take "5/risk/" too.
            path(
                "<path:object_id>/risk/",
                wrap(require_POST(self.risk_decide_view)),
                name="kiosk_claim_risk_decide",
            ),
            *super().get_urls(),
        ]

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        summary = dashboard_for(user=request.user, period=request.GET.get("period", "7d"))
        changelist = reverse("admin:kiosk_claim_changelist")
        context = self.admin_site.each_context(request) | {
            "title": _("Dashboard"),
            "opts": self.opts,
            "summary": summary,
            "periods": PERIODS,
            "changelist": changelist,
        }
        return TemplateResponse(request, "admin/kiosk/claim/dashboard.html", context)
