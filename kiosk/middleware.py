"""The shared tablet around each request: which tablet it is, and the idle lock."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from kiosk.services.languages import user_language, user_store_language
from kiosk.services.tablets import TABLET_COOKIE, tablet_from_cookie, tablet_seen

# Session keys of an associate who unlocked a tablet by PIN.
UNLOCKED_ON = "kiosk_unlocked_on"
LAST_ACTIVE = "kiosk_last_active"
# What the tablet's pages send by themselves (reloads, background saves, lookups) is
# marked, by this header from their scripts or this query parameter on a reload without
# script: it is not someone at the tablet, so it does not put off the idle lock.
AUTOMATIC_HEADER = "X-Kiosk-Automatic"
AUTOMATIC_PARAMETER = "automatic"


def tablet_session_start(request, *, tablet) -> None:
    request.session[UNLOCKED_ON] = tablet.pk
    request.session[LAST_ACTIVE] = time.time()


def tablet_idle_seconds(request) -> float:
    """How long ago the associate last did something at the tablet (LAST_ACTIVE)."""
    return time.time() - request.session.get(LAST_ACTIVE, 0)


def _caused_by_a_person(request) -> bool:
    """Whether a request counts as activity: anything the page did not mark as its own."""
    if AUTOMATIC_HEADER in request.headers:
        return False
    if request.headers.get("Service-Worker") == "script":
        return False  # the browser checking for a new service worker, by itself
    return not (request.method in ("GET", "HEAD") and AUTOMATIC_PARAMETER in request.GET)


class TabletMiddleware:
    """Sets `request.tablet` (or None) and locks a PIN session left idle or moved.

    An associate's PIN session ends once the tablet has been idle longer than
    KIOSK_IDLE_SECONDS plus the countdown (the page's own script normally locks
    it first), when the tablet is signed out, or when the cookie goes elsewhere.
    Only what a person does moves the idle clock, never what the page sends by itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cookie = request.COOKIES.get(TABLET_COOKIE, "")
        request.tablet = tablet_from_cookie(cookie) if cookie else None
        if request.tablet is not None:
            tablet_seen(tablet=request.tablet)
        # The outbox acts for the associate its token names, whoever's session this is
        # (kiosk.outbox_views): it neither moves the idle clock nor is locked by it.
        outbox = request.path_info == reverse("kiosk:outbox")
        if not outbox and UNLOCKED_ON in request.session and (locked := self._lock_if_due(request)):
            return locked
        response = self.get_response(request)
        if cookie and request.tablet is None:
            response.delete_cookie(TABLET_COOKIE)
        return response

    def _lock_if_due(self, request):
        tablet = request.tablet
        idle = tablet_idle_seconds(request)
        limit = settings.KIOSK_IDLE_SECONDS + settings.KIOSK_IDLE_WARNING_SECONDS
        if tablet is not None and tablet.pk == request.session[UNLOCKED_ON] and idle <= limit:
            if _caused_by_a_person(request):
                request.session[LAST_ACTIVE] = time.time()
            return None
        logout(request)
        if tablet is None:
            return None
        # Said on the PIN pad, in the tablet's language (LanguageMiddleware comes later).
        language_activate(request)
        messages.info(request, _("The tablet locked itself after being left idle."))
        return redirect("kiosk:unlock")


def request_language(request) -> tuple[str, bool]:
    """The language of a request's pages, and whether it came from the browser.

    A signed-in person's own setting (the associate who unlocked the tablet, the manager
    at the desk); else the store's: the tablet's store, or the person's; else the
    browser's Accept-Language, as Django's LocaleMiddleware reads it.
    """
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    if signed_in and (chosen := user_language(user=user)):
        return chosen, False
    tablet = getattr(request, "tablet", None)
    if tablet is not None:
        return tablet.store.language, False
    if signed_in and (store_language := user_store_language(user=user)):
        return store_language, False
    return translation.get_language_from_request(request), True


def language_activate(request) -> bool:
    """Activate the request's language (request_language); True if the browser chose it."""
    language, from_browser = request_language(request)
    translation.activate(language)
    request.LANGUAGE_CODE = translation.get_language()
    return from_browser


class LanguageMiddleware:
    """Each page in the language of the person it is for (request_language). What the
    customer reads is rendered in the claim's own language by the templates."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from_browser = language_activate(request)
        response = self.get_response(request)
        if from_browser:
            patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class KioskLoginRequiredMiddleware(LoginRequiredMiddleware):
    """On a signed-in tablet, a page that needs someone goes to the PIN pad, not the login."""

    def handle_no_permission(self, request, view_func):
        if getattr(request, "tablet", None) is not None:
            return redirect("kiosk:unlock")
        return super().handle_no_permission(request, view_func)


class PermissionsPolicyMiddleware:
    """The Permissions-Policy header (settings.PERMISSIONS_POLICY): only the camera."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
