"""The shared tablet: a manager signs it in to a store; associates unlock it by PIN."""

from datetime import datetime
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_not_required, permission_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kiosk.auth_backends import pin_session
from kiosk.forms.tablet import PinForm, TabletSignInForm
from kiosk.middleware import tablet_session_start
from kiosk.selectors.scoping import stores_visible_to
from kiosk.services.languages import user_set_language
from kiosk.services.lockouts import pin_cap_hold, pin_capped_until
from kiosk.services.tablets import (
    PIN_BACKEND,
    TABLET_COOKIE,
    pin_holders,
    pin_unlock_length,
    tablet_associates,
    tablet_sign_in,
)


def _password_session_required(view):
    """A staff page: a PIN session (whoever's) is sent to the password login first."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if pin_session(request):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return guarded


@never_cache
@_password_session_required
@permission_required("kiosk.add_tablet", raise_exception=True)
def tablet_setup(request: HttpRequest) -> HttpResponse:
    """A manager signs this tablet in to one of their stores, then hands it over."""
    form = TabletSignInForm(request.POST or None, stores=stores_visible_to(request.user))
    if request.method == "POST" and form.is_valid():
        tablet, cookie = tablet_sign_in(
            store=form.cleaned_data["store"], name=form.cleaned_data["name"], manager=request.user
        )
        logout(request)
        response = redirect("kiosk:unlock")
        response.set_cookie(
            TABLET_COOKIE,
            cookie,
            max_age=settings.TABLET_SIGN_IN_DAYS * 24 * 60 * 60,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        messages.success(
            request, _("This tablet is signed in to %(store)s.") % {"store": tablet.store}
        )
        return response
    context = {"form": form, "sign_in_days": settings.TABLET_SIGN_IN_DAYS}
    return render(request, "kiosk/tablet_setup.html", context)


@never_cache
@login_not_required
def unlock(request: HttpRequest) -> HttpResponse:
    """The locked screen: who is at the counter?"""
    if request.tablet is None:
        return redirect(settings.LOGIN_URL)
    if request.user.is_authenticated:
        return redirect("kiosk:home")
    associates = tablet_associates(tablet=request.tablet)
    return render(request, "kiosk/unlock.html", {"associates": associates})


@never_cache
@login_not_required
def unlock_pin(request: HttpRequest, user_id: int) -> HttpResponse:
    if request.tablet is None:
        return redirect(settings.LOGIN_URL)
    associate = get_object_or_404(
        pin_holders().filter(stores=request.tablet.store, kiosk_pin__isnull=False), pk=user_id
    )
    form = PinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = associate.get_username()
        capped_until = pin_capped_until(username=username)
        if capped_until is not None:
            return _pin_locked(request, until=capped_until)
        user = authenticate(
            request, username=username, pin=form.cleaned_data["pin"], tablet=request.tablet
        )
        if user is not None:
            login(request, user, backend=PIN_BACKEND)
            tablet_session_start(request, tablet=request.tablet)
            return redirect("kiosk:home")
        capped_until = pin_cap_hold(username=username)
        if capped_until is not None:
            return _pin_locked(request, until=capped_until)
        form.add_error("pin", _("That PIN is not right. Try again."))
    context = {
        "form": form,
        "associate": associate,
        "pin_length": pin_unlock_length(user=associate),
    }
    return render(request, "kiosk/unlock_pin.html", context)


def _pin_locked(request: HttpRequest, *, until: datetime) -> HttpResponse:
    """The page of a lockout (as axes shows it), for a PIN capped until `until`."""
    context = {"cooloff_timedelta": until - timezone.now()}
    return render(
        request, settings.AXES_LOCKOUT_TEMPLATE, context, status=settings.AXES_HTTP_RESPONSE_CODE
    )


@require_POST
@login_not_required
def lock(request: HttpRequest) -> HttpResponse:
    """Back to the PIN pad; the associate's drafts stay on the server."""
    logout(request)
    if request.tablet is None:
        return redirect(settings.LOGIN_URL)
    return redirect("kiosk:unlock")


@require_POST
def still_here(request: HttpRequest) -> HttpResponse:
    """The associate is at the tablet: the middleware noted the activity."""
    return HttpResponse(status=204)


@require_POST
def associate_language(request: HttpRequest) -> HttpResponse:
    """The associate's own language, one tap on the start screen."""
    try:
        user_set_language(user=request.user, language=request.POST.get("language", ""))
    except ValueError:
        return HttpResponseBadRequest(_("Not one of the portal's languages."))
    return redirect("kiosk:home")
