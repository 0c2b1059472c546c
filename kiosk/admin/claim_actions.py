"""The claim list's actions: retry delivery (with a reason), send the customer's copy again."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kiosk.followup.tasks import customer_copy_retry
from kiosk.models import Claim
from kiosk.services.attachments import public_media_base_url
from kiosk.services.manager_actions import claims_retry


class ClaimActionsMixin:
    """For ClaimAdmin: its actions call services and report with message_user."""

    @admin.action(
        description=gettext_lazy("Retry delivery of selected claims that need attention"),
        permissions=["retry_delivery"],
    )
    def retry_delivery(self, request, queryset):
        """Asks why first; the retry is then on each claim's record with the reason."""
        needing = queryset.filter(status=Claim.Status.NEEDS_ATTENTION)
        others = queryset.exclude(status=Claim.Status.NEEDS_ATTENTION).count()
        reason = request.POST.get("reason", "").strip()
        if "confirmed" not in request.POST or not reason:
            context = self.admin_site.each_context(request) | {
                "title": _("Retry delivery"),
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
                request,
                _("Queued for delivery again: %(references)s.") % {"references": references},
                messages.SUCCESS,
            )
        if refused:
            details = "; ".join(f"{c.reference} ({c.last_error})" for c in refused)
            self.message_user(
                request,
                _("Not queued, still incomplete: %(details)s.") % {"details": details},
                messages.ERROR,
            )
        if others:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected claim did not need attention and was left alone.",
                    "%(count)d selected claims did not need attention and were left alone.",
                    others,
                )
                % {"count": others},
                messages.WARNING,
            )
        return None

    def has_retry_delivery_permission(self, request) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.retry_delivery")

    @admin.action(
        description=gettext_lazy("Send the customer's copy again where it failed"),
        permissions=["retry_delivery"],
    )
    def resend_customer_copy(self, request, queryset):
        failed = list(queryset.filter(customer_copy_status=Claim.CustomerCopyStatus.FAILED))
        queued = [claim for claim in failed if customer_copy_retry(claim=claim)]
        if queued:
            references = ", ".join(c.reference for c in queued)
            self.message_user(
                request,
                _("The customer's copy is queued again: %(references)s.")
                % {"references": references},
                messages.SUCCESS,
            )
        if others := queryset.count() - len(queued):
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected claim had no failed copy and was left alone.",
                    "%(count)d selected claims had no failed copy and were left alone.",
                    others,
                )
                % {"count": others},
                messages.WARNING,
            )
