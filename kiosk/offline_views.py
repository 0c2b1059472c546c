"""The tablet without a network: its service worker, the offline page, and the blank
"shells" of a claim's pages that the service worker shows while the Wi-Fi is gone
(static/kiosk/service-worker.js). A shell is a step's page for no claim in particular:
no customer's data is in it, and the service worker puts the claim's reference in.
"""

import hashlib
import json

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kiosk import geography
from kiosk.forms import CustomerForm
from kiosk.js_strings import JS_STRINGS
from kiosk.models import Claim
from kiosk.scanner_views import SCANNER_ASSETS
from kiosk.services.drafts import claim_prefilled
from kiosk.steps import (
    FORM_STEPS,
    PAGES,
    REVIEW,
    SIGNATURE,
    STEPS_BY_SLUG,
    FormStep,
    page_of,
    step_after,
    step_before,
)
from kiosk.templatetags.kiosk_language import html_lang

# Put in a shell where the claim's reference goes; not a reference the portal makes.
SHELL_REFERENCE = "R-SHELLREFERENCE"

# What a tablet page loads, kept by the service worker so that it shows offline.
TABLET_ASSETS = [
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "vendor/signature_pad/signature_pad.umd.min.js",
    "vendor/idb/umd.js",
    "kiosk/kiosk.css",
    "kiosk/strings.js",
    "kiosk/tablet.js",
    "kiosk/kiosk.js",
    "kiosk/photos.js",
    "kiosk/coverage.js",
    "kiosk/catalog.js",
    "kiosk/outbox-store.js",
    "kiosk/outbox-replay.js",
    "kiosk/outbox.js",
    "kiosk/offline-pages.js",
    *SCANNER_ASSETS,
]
WORKER_SCRIPTS = ["vendor/idb/umd.js", "kiosk/outbox-store.js", "kiosk/outbox-replay.js"]
# How long the service worker waits for the server before it keeps a request for later.
SERVER_TIMEOUT_MS = 20_000


def _shell_claim(request: HttpRequest) -> Claim:
    return claim_prefilled(store=request.tablet.store, reference=SHELL_REFERENCE)


def _shell_context(step, claim: Claim) -> dict:
    """A step page's context (as Step.context) for the shell claim: nothing complete, no
    photos."""
    return {
        "address_origins": settings.ADDRESS_ORIGIN_SUGGESTIONS,
        "image_max_side": settings.IMAGE_MAX_SIDE,
        "catalog_min_chars": settings.KIOSK_CATALOG_QUERY_MIN_CHARS,
        "subdivisions_url": reverse("kiosk:subdivisions"),
        "claim": claim,
        "step": step,
        "steps": [(page, False) for page in PAGES],
        "previous_step": step_before(step),
        "next_step": step_after(step),
        "api_error": "",
        "attachments_by_kind": {},
        "page_rendered_at": 0,
        "offline_shell": True,
    }


def _tablet_only(request: HttpRequest) -> None:
    if request.tablet is None:
        raise Http404(_("Only on a store's tablet."))


@never_cache
@require_GET
def step_shell(request: HttpRequest, step: str) -> HttpResponse:
    _tablet_only(request)
    current = STEPS_BY_SLUG.get(step)
    if not isinstance(current, FormStep) or current.shown_on:
        raise Http404(_("No such step."))
    claim = _shell_claim(request)
    context = _shell_context(current, claim)
    sections = [(step, step.form_class(claim=claim)) for step in current.page_steps()]
    context |= {"sections": sections, "section_slugs": [step.slug for step, _ in sections]}
    return render(request, current.template_name, context)


@never_cache
@require_GET
def review_shell(request: HttpRequest) -> HttpResponse:
    _tablet_only(request)
    claim = _shell_claim(request)
    context = _shell_context(REVIEW, claim)
    context |= {
        "signature_form": SIGNATURE.form_class(claim=claim),
        "customer_words": _customer_words(claim),
        "customer_languages": [code for code, _name in settings.LANGUAGES],
    }
    return render(request, "kiosk/offline_review.html", context)


# The script words the review shows the customer (the kept photos), in their language.
CUSTOMER_JS_STRINGS = ("receipt_photo", "item_photo", "kept_photo", "money")


def _customer_words(claim: Claim) -> dict:
    """What the customer reads on the review, in each of the portal's languages:
    {language: {"titles": {page: title}, "labels": _field_labels, "words": {key: text}}}.
    The shell is kept for any claim, so it carries them all; offline-pages.js shows the
    claim's (its customer language, as kept on the tablet, else the store's)."""
    words = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            words[code] = {
                "lang": html_lang(code),
                "titles": {page.slug: str(page.title) for page in PAGES if page is not REVIEW},
                "labels": _field_labels(claim),
                "words": {key: str(JS_STRINGS[key]) for key in CUSTOMER_JS_STRINGS},
            }
    return words


# Choices the form shows by the English name the API takes, and people read in their own.
PEOPLES_WORDS = {
    "ship_country": geography.country_display_name,
    "ship_state": geography.subdivision_display_name,
}


def _field_labels(claim: Claim) -> dict:
    """Each page's fields as the review shows them: {page: {field: [label, {value: text}]}}."""
    labels = {}
    for step in FORM_STEPS:
        page = page_of(step)
        if page is REVIEW:
            continue
        form = step.form_class(claim=claim)
        labels.setdefault(page.slug, {}).update(
            {
                name: [
                    str(field.label or name),
                    {
                        str(k): PEOPLES_WORDS[name](k) if name in PEOPLES_WORDS and k else str(v)
                        for k, v in getattr(field, "choices", [])
                    },
                    _value_kind(field),
                ]
                for name, field in form.fields.items()
                if not field.widget.is_hidden and not name.startswith("photo")
            }
        )
    return labels


def _value_kind(field: forms.Field) -> str:
    """How offline-pages.js spells a typed value out, as the online review does."""
    if isinstance(field, forms.DateField):
        return "date"
    if isinstance(field, forms.DecimalField):
        return "money"
    return ""


@never_cache
@require_GET
def result_shell(request: HttpRequest) -> HttpResponse:
    _tablet_only(request)
    claim = _shell_claim(request)
    return render(request, "kiosk/offline_result.html", {"claim": claim, "offline_shell": True})


@never_cache
@require_GET
def home_shell(request: HttpRequest) -> HttpResponse:
    _tablet_only(request)
    claim = _shell_claim(request)
    context = {"claim": claim, "customer_form": CustomerForm(claim=claim), "offline_shell": True}
    return render(request, "kiosk/offline_home.html", context)


@login_not_required
@never_cache
@require_GET
def offline_page(request: HttpRequest) -> HttpResponse:
    """What the tablet shows offline where it has no shell: it names nobody."""
    if request.tablet is None and not request.user.is_authenticated:
        return redirect("login")
    return render(request, "kiosk/offline.html", {"offline_page": True})


def _shell_urls() -> dict:
    shells = {step.slug: reverse("kiosk:step-shell", args=[step.slug]) for step in PAGES[:-1]}
    shells[REVIEW.slug] = reverse("kiosk:review-shell")
    shells["home"] = reverse("kiosk:home-shell")
    shells["result"] = reverse("kiosk:result-shell")
    return shells


@login_not_required
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker's script, with what it needs to know of this deployment: a new
    deployment (new asset names) is a new script, so tablets update to it."""
    config = {
        "precache": [static(asset) for asset in TABLET_ASSETS]
        + [reverse("kiosk:offline"), reverse("kiosk:scanner-worker")],
        "shells": _shell_urls(),
        "shellReference": SHELL_REFERENCE,
        "pages": [page.slug for page in PAGES],
        "timeoutMs": SERVER_TIMEOUT_MS,
        "outboxUrl": reverse("kiosk:outbox"),
        "urls": {
            "home": reverse("kiosk:home"),
            "newClaim": reverse("kiosk:claim-new"),
            "lock": reverse("kiosk:lock"),
            "unlock": reverse("kiosk:unlock"),
            "offline": reverse("kiosk:offline"),
        },
    }
    config["version"] = hashlib.sha256(json.dumps(config).encode()).hexdigest()[:16]
    scripts = ", ".join(json.dumps(static(script)) for script in WORKER_SCRIPTS)
    body = (
        f"self.KIOSK = {json.dumps(config)};\n"
        f"importScripts({scripts}, {json.dumps(static('kiosk/service-worker.js'))});\n"
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
