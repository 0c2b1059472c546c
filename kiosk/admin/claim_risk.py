"""The claim's risk at the desk: the list's Risk column, the Risk card on the claim's page
with each signal in words, and the manager's decision ("looks fine" / "suspicious").

The score is ours (kiosk.risk): never sent to OrderProtection, never a refusal. A decision
is recorded with its reason and never edited or deleted; "looks fine" quiets the signals
the claim has now (kiosk.risk.decisions.risk_decide).
"""

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiosk.admin.risk_words import MatchedClaims, signal_label, signal_sentence
from kiosk.display import local_time
from kiosk.models import Claim, RiskDecision
from kiosk.risk.decisions import risk_decide
from kiosk.selectors.scoping import claims_visible_to

# The decision's controls sit in the Risk card, inside the admin's own (read-only) claim
# form; HTML forms do not nest, so they name this form, which stands outside it.
FORM_ID = "risk-decision"


class RiskDecisionForm(forms.Form):
    verdict = forms.ChoiceField(
        label=gettext_lazy("How does this claim look to you?"),
        choices=RiskDecision.Verdict.choices,
        widget=forms.RadioSelect(attrs={"form": FORM_ID}),
        error_messages={"required": gettext_lazy("Choose “Looks fine” or “Suspicious”.")},
    )
    reason = forms.CharField(
        label=gettext_lazy("Why?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"form": FORM_ID, "rows": 3, "cols": 50}),
        help_text=gettext_lazy(
            "Recorded with your name; it cannot be changed later. “Looks fine” stops these "
            "signals from counting for the claims they match now."
        ),
        error_messages={"required": gettext_lazy("Say why, for the record.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="risk_%s", label_suffix="", **kwargs)


def risk_badge(claim: Claim) -> SafeString:
    """ "High (75)": the level in words with the score, coloured too, never by colour alone."""
    if not claim.risk_level:
        if claim.submitted_at is None:
            return format_html("{}", "—")
        return format_html(
            "<span class='status-badge risk-badge risk-none'>{}</span>", _("Not scored yet")
        )
    return format_html(
        "<span class='status-badge risk-badge risk-{}'>{}</span>",
        claim.risk_level,
        _("%(level)s (%(score)s)")
        % {"level": claim.get_risk_level_display(), "score": claim.risk_score or 0},
    )


def verdict_words(decision: RiskDecision, zone: str) -> str:
    """ "“Looks fine” by bruno on Dec 6, 2026, 16:48:39 CST: reason"."""
    return _("“%(verdict)s” by %(who)s on %(when)s: %(reason)s") % {
        "verdict": decision.get_verdict_display(),
        "who": decision.decided_by,
        "when": local_time(decision.decided_at, zone),
        "reason": decision.reason,
    }


@dataclass(frozen=True)
class RiskLine:
    """One signal on the card: its label, its sentence, its weight, and who quieted it."""

    code: str
    label: str
    sentence: SafeString
    weight: int
    quieted: str = ""


def risk_card_context(
    claim: Claim, user: AbstractBaseUser, *, form: RiskDecisionForm | None = None
) -> dict:
    zone = claim.store.time_zone
    signals = list(claim.risk_signals.select_related("quieted_by__decided_by"))
    matched = {pk for signal in signals for pk in _pks(signal.matched_claim_ids)}
    claims = MatchedClaims(_numbers_visible(user, matched))
    lines = [
        RiskLine(
            code=signal.code,
            label=signal_label(signal.code),
            sentence=signal_sentence(signal, claims),
            weight=signal.weight,
            quieted=verdict_words(signal.quieted_by, zone) if signal.quieted_by else "",
        )
        for signal in signals
    ]
    decisions = list(claim.risk_decisions.select_related("decided_by"))
    may_decide = user.has_perm("kiosk.decide_risk") and claim.submitted_at is not None
    return {
        "risk": {
            "badge": risk_badge(claim),
            "scored": bool(claim.risk_level),
            "draft": claim.submitted_at is None,
            "scored_at": local_time(claim.risk_scored_at, zone) if claim.risk_scored_at else "",
            "lines": [line for line in lines if not line.quieted],
            "quieted": [line for line in lines if line.quieted],
            "decisions": [
                (decision, local_time(decision.decided_at, zone)) for decision in decisions
            ],
            "form": (form or RiskDecisionForm()) if may_decide else None,
            "form_id": FORM_ID,
            "decide_url": reverse("admin:kiosk_claim_risk_decide", args=[claim.pk]),
        }
    }


def _numbers_visible(user: AbstractBaseUser, pks: set[int]) -> dict[int, str]:
    """The matched claims the user may open, by pk: their claim number, else reference."""
    if not pks:
        return {}
    visible = claims_visible_to(user, Claim.objects.filter(pk__in=pks))
    rows = visible.values_list("pk", "claim_number", "reference")
    return {pk: number or reference for pk, number, reference in rows}


def _pks(value) -> list[int]:
    return [pk for pk in value if isinstance(pk, int)] if isinstance(value, list) else []


class ClaimRiskMixin:
    """For ClaimAdmin: the Risk column, and the decision posted from the claim's page."""

    @admin.display(
        description=gettext_lazy("Risk"),
        # Not scored yet ranks below every score, whichever way the column is sorted.
        ordering=F("risk_score").asc(nulls_first=True),
    )
    def risk_shown(self, claim: Claim) -> SafeString:
        if claim.risk_verdict:
            verdict = dict(RiskDecision.Verdict.choices).get(claim.risk_verdict, claim.risk_verdict)
            marked = _("Marked: %(verdict)s") % {"verdict": verdict}
            return format_html("{}<br><span class='quiet'>{}</span>", risk_badge(claim), marked)
        return risk_badge(claim)

    def has_decide_risk_permission(self, request) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.decide_risk")

    def risk_decide_view(self, request, object_id):
        """POST only (see get_urls). Another store's claim is a 404, as everywhere."""
        claim = self.get_object(request, unquote(object_id))
        if claim is None or not self.has_view_permission(request, claim):
            raise Http404(_("No claim with that ID."))
        if not self.has_decide_risk_permission(request):
            raise PermissionDenied
        page = reverse("admin:kiosk_claim_change", args=[claim.pk]) + "#risk"
        if claim.submitted_at is None:
            self.message_user(
                request, _("A draft is not assessed: there is nothing to decide."), messages.ERROR
            )
            return HttpResponseRedirect(page)
        form = RiskDecisionForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request, _("Your decision was not recorded: see the Risk box."), messages.ERROR
            )
            # The claim's page again, with the form's errors and what was typed: shown as
            # the page is shown (a GET), as the admin's form itself is read-only.
            request.method = "GET"
            response = self.change_view(request, object_id, extra_context={"risk_form": form})
            response.status_code = 400
            return response
        decision = risk_decide(
            claim=claim,
            user=request.user,
            verdict=form.cleaned_data["verdict"],
            reason=form.cleaned_data["reason"],
        )
        self.message_user(
            request,
            _("Your decision is recorded: “%(verdict)s”. Risk now: %(level)s.")
            % {
                "verdict": decision.get_verdict_display(),
                "level": claim.get_risk_level_display() or _("Not scored yet"),
            },
            messages.SUCCESS,
        )
        return HttpResponseRedirect(page)
