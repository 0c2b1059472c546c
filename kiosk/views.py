import contextlib

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_POST

from kiosk import geography
from kiosk.delivery.results import Result
from kiosk.followup.customer_copy import customer_copy_for
from kiosk.forms import CustomerForm
from kiosk.forms.lookup import CustomerClaimsForm
from kiosk.middleware import AUTOMATIC_PARAMETER
from kiosk.models import Claim, Store
from kiosk.selectors.customers import customer_claims
from kiosk.selectors.scoping import associate_claims, associate_stores
from kiosk.services.attachments import public_media_base_url
from kiosk.services.completeness import claim_incomplete_steps
from kiosk.services.coverage import coverage_on, store_today
from kiosk.services.drafts import (
    ClaimNotEditable,
    ReferenceTaken,
    associate_open_claims,
    claim_discard_draft,
    claim_start,
)
from kiosk.services.languages import claim_set_customer_language
from kiosk.services.quotas import DraftLimitReached, associate_drafts
from kiosk.services.submission import claim_submit
from kiosk.steps import (
    REVIEW,
    SENT_MEANWHILE,
    STEPS,
    STEPS_BY_SLUG,
    first_incomplete_step,
    page_of,
    page_to_correct,
    step_after,
)


def associate_claim(request: HttpRequest, reference: str, *, attachments: bool = True) -> Claim:
    """A claim the associate may open here (services.scoping.associate_claims), or 404.

    With its store, and with its attachments unless `attachments` is False: for a view
    that shows none (a photo upload counts and locks them itself), a query saved.
    """
    claims = associate_claims(associate=request.user, tablet=request.tablet)
    claims = claims.select_related("store")
    if attachments:
        claims = claims.prefetch_related("attachments")
    return get_object_or_404(claims, reference=reference)


def _associate_stores(request: HttpRequest) -> QuerySet[Store]:
    """The stores the associate acts for here: on a store's tablet, that store alone."""
    return associate_stores(associate=request.user, tablet=request.tablet)


@never_cache
def home(request: HttpRequest) -> HttpResponse:
    """The start screen: a new claim, and this associate's own open claims."""
    return _home(request)


def _home(request: HttpRequest, *, draft_limit: DraftLimitReached | None = None) -> HttpResponse:
    """The start screen; at the draft limit, with what it says and the way out: what was
    typed into the customer's form, and every draft of the associate's here to finish
    or discard."""
    stores = list(_associate_stores(request))
    customer_form = None
    if len(stores) == 1:  # One store: the new claim's first step is right here.
        typed = {name: request.POST.get(name, "") for name in CustomerForm.Meta.fields}
        initial = typed if draft_limit else None
        customer_form = CustomerForm(initial=initial, claim=Claim(store=stores[0]))
    if draft_limit:
        mine = associate_claims(associate=request.user, tablet=request.tablet)
        drafts = associate_drafts(associate=request.user).filter(pk__in=mine.values("pk"))
        drafts = list(drafts.select_related("store").order_by("-updated_at"))
    else:
        drafts = associate_open_claims(associate=request.user, stores=stores)
    context = {
        "stores": stores,
        "customer_form": customer_form,
        "drafts": drafts,
        "draft_limit": draft_limit,
        "can_set_up_tablet": request.tablet is None and request.user.has_perm("kiosk.add_tablet"),
    }
    return render(request, "kiosk/home.html", context)


@never_cache
def claim_discard(request: HttpRequest, reference: str) -> HttpResponse:
    """Discard one of the associate's drafts, after a confirmation."""
    drafts = associate_claims(associate=request.user, tablet=request.tablet)
    claim = get_object_or_404(
        drafts.filter(status=Claim.Status.DRAFT, created_by=request.user), reference=reference
    )
    if request.method == "POST":
        claim_discard_draft(claim=claim)
        messages.success(request, _("The draft was discarded."))
        return redirect("kiosk:home")
    return render(request, "kiosk/claim_discard.html", {"claim": claim})


@require_POST
def claim_new(request: HttpRequest) -> HttpResponse:
    store_id = request.POST.get("store", "")
    if not (store_id.isascii() and store_id.isdigit()):
        raise Http404(_("No such store."))
    store = get_object_or_404(_associate_stores(request), pk=store_id)
    # The reference the tablet made for this claim: the same post sent again (a lost
    # answer, a replay) goes where the first went. One that is not a reference, or is
    # another claim's, is left aside and the claim gets one of the server's.
    reference = request.POST.get("reference", "")
    if reference and (started := _started(request, reference)) is not None:
        return redirect("kiosk:claim-resume", reference=started.reference)
    try:
        try:
            claim = claim_start(store=store, associate=request.user, reference=reference or None)
        except (ValueError, ReferenceTaken):
            claim = claim_start(store=store, associate=request.user)
    except DraftLimitReached as limit:
        return _home(request, draft_limit=limit)
    typed = any(request.POST.get(name, "").strip() for name in CustomerForm.Meta.fields)
    if not typed:
        return redirect("kiosk:claim-step", reference=claim.reference, step=STEPS[0].slug)
    # The customer's details typed on the start screen: the claim's first step, done there.
    complete = STEPS[0].save(claim, STEPS[0].form(claim, request), checked=True)
    target = step_after(STEPS[0]) if complete else STEPS[0]
    return redirect("kiosk:claim-step", reference=claim.reference, step=target.slug)


def _started(request: HttpRequest, reference: str) -> Claim | None:
    """The draft this associate started here with this reference, if they did."""
    claims = associate_claims(associate=request.user, tablet=request.tablet)
    return claims.filter(reference=reference, created_by=request.user).first()


@never_cache
def claim_resume(request: HttpRequest, reference: str) -> HttpResponse:
    claim = associate_claim(request, reference)
    if not claim.is_editable:
        return redirect("kiosk:claim-result", reference=claim.reference)
    return redirect(
        "kiosk:claim-step", reference=claim.reference, step=first_incomplete_step(claim).slug
    )


@never_cache
def claim_step(request: HttpRequest, reference: str, step: str) -> HttpResponse:
    """A step's page: the step handles the request (kiosk.steps) while the claim is editable."""
    claim = associate_claim(request, reference)
    current = STEPS_BY_SLUG.get(step)
    if current is None:
        raise Http404(_("No such step."))
    if not claim.is_editable:
        if request.method == "POST":
            messages.warning(request, SENT_MEANWHILE)
        return redirect("kiosk:claim-result", reference=claim.reference)
    if request.method != "POST":
        return current.get(request, claim)
    try:
        return current.post(request, claim)
    except ClaimNotEditable:
        messages.warning(request, SENT_MEANWHILE)
        return redirect("kiosk:claim-result", reference=claim.reference)


@require_POST
def claim_language_view(request: HttpRequest, reference: str) -> HttpResponse:
    """The customer's "English | Español" toggle: what they read and sign, in their language.

    The page's typed input is saved before this post (kiosk.js flushes the autosave).
    """
    claim = associate_claim(request, reference)
    back_to = STEPS_BY_SLUG.get(request.POST.get("next", ""), REVIEW)
    try:
        claim_set_customer_language(claim=claim, language=request.POST.get("customer_language", ""))
    except ValueError:
        return HttpResponseBadRequest(_("Not one of the portal's languages."))
    except ClaimNotEditable:
        messages.warning(request, SENT_MEANWHILE)
        return redirect("kiosk:claim-result", reference=claim.reference)
    return redirect("kiosk:claim-step", reference=claim.reference, step=back_to.slug)


@require_POST
def claim_submit_view(request: HttpRequest, reference: str) -> HttpResponse:
    claim = associate_claim(request, reference)
    # Sent meanwhile: the submission below says where it stands. The signature just
    # stored needs no fresh copy of the claim: claim_submit reloads it under its lock.
    with contextlib.suppress(ClaimNotEditable):
        if claim.is_editable:
            REVIEW.save_given(request, claim)
    result = claim_submit(claim=claim, media_base_url=public_media_base_url())
    if result.result == Result.INCOMPLETE and (incomplete := claim_incomplete_steps(claim=claim)):
        # What is missing on the review itself (the signature) it says at the top, in its
        # error summary; a page before it is named by this message.
        if any(page_of(STEPS_BY_SLUG[slug]) is not REVIEW for slug in incomplete):
            messages.error(request, _("Some steps are not complete yet."))
        return redirect(
            "kiosk:claim-step", reference=reference, step=first_incomplete_step(claim).slug
        )
    if result.result in (Result.REJECTED, Result.INCOMPLETE):
        return redirect("kiosk:claim-step", reference=reference, step=page_to_correct(claim).slug)
    return redirect("kiosk:claim-result", reference=reference)


@never_cache
def claim_result(request: HttpRequest, reference: str) -> HttpResponse:
    claim = associate_claim(request, reference)
    if claim.is_editable:
        return redirect("kiosk:claim-resume", reference=reference)
    context = {
        "claim": claim,
        "return_after": settings.KIOSK_CONFIRMATION_SECONDS,
        "refresh_after": settings.KIOSK_RESULT_REFRESH_SECONDS,
        "refresh_url": f"{request.path}?{AUTOMATIC_PARAMETER}=1",
        "automatic_parameter": AUTOMATIC_PARAMETER,
    }
    return render(request, "kiosk/claim_result.html", context)


@never_cache
@require_GET
def claim_receipt(request: HttpRequest, reference: str) -> HttpResponse:
    """The customer's copy, to print on the counter's receipt printer or on A4/Letter."""
    claim = associate_claim(request, reference)
    if claim.is_editable:
        return redirect("kiosk:claim-resume", reference=reference)
    context = {"claim": claim, "copy": customer_copy_for(claim=claim)}
    return render(request, "kiosk/claim_receipt.html", context)


@never_cache
@require_GET
def customer_claims_view(request: HttpRequest) -> HttpResponse:
    """An associate finds a customer's earlier claims, with their state, by email or phone."""
    stores = _associate_stores(request)
    store = stores.first()
    form = CustomerClaimsForm(
        request.GET or None, default_region=store.default_country if store else ""
    )
    claims = None
    if form.is_valid():
        claims = customer_claims(stores=stores, **form.cleaned_data["contact"])
    return render(request, "kiosk/customer_claims.html", {"form": form, "claims": claims})


@never_cache
@require_GET
def claim_coverage_view(request: HttpRequest, reference: str) -> JsonResponse:
    """The coverage of a date and period as typed on the warranty step, before it is saved."""
    claim = associate_claim(request, reference, attachments=False)
    try:
        purchased = parse_date(request.GET.get("date_of_purchase", ""))
    except ValueError:
        purchased = None
    period = request.GET.get("warranty_period", "").strip().upper()
    if not purchased or not period:  # still being typed
        return JsonResponse({"label": "", "expired": False})
    coverage = coverage_on(
        date_of_purchase=purchased, warranty_period=period, today=store_today(store=claim.store)
    )
    if not coverage.known:
        return JsonResponse({"error": coverage.problem}, status=400)
    return JsonResponse({"label": coverage.label, "expired": coverage.expired})


@require_GET
def subdivisions(request: HttpRequest) -> JsonResponse:
    """The states or provinces of a country, for the address step's select."""
    country = request.GET.get("country", "")
    choices = geography.subdivision_choices(country) if len(country) == 2 else []
    return JsonResponse({"subdivisions": [{"code": c, "name": n} for c, n in choices]})


# The places of postal codes change with the library's data, i.e. with a deploy.
@cache_control(private=True, max_age=24 * 60 * 60)
@require_GET
def postal_code_place_view(request: HttpRequest) -> JsonResponse:
    """The city and state of a postal code, for the address step to fill in; 404 when the
    code is not known (only US ZIP codes are), so that nothing is guessed."""
    place = geography.postal_code_place(
        request.GET.get("country", ""), request.GET.get("postal_code", "")
    )
    if place is None:
        return JsonResponse({"error": _("Postal code not known.")}, status=404)
    return JsonResponse({"city": place.city, "state": place.state})
