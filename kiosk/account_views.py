"""Password reset by email, with links to the portal's own address (PORTAL_BASE_URL)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import PasswordResetView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator


@method_decorator(login_not_required, name="dispatch")
class PortalPasswordResetView(PasswordResetView):
    """Django's reset view, except that the emailed link starts with PORTAL_BASE_URL.

    Django builds the link from the request's Host header, which the person asking for
    the reset chooses: with ALLOWED_HOSTS open, the token would go to their server.
    Without PORTAL_BASE_URL, reset by email is off and the page says so.
    """

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.PORTAL_BASE_URL:
            return render(request, "registration/password_reset_unavailable.html")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        base = urlsplit(settings.PORTAL_BASE_URL)
        # Documented: these override the protocol, domain and site name Django derives.
        self.extra_email_context = {
            "protocol": base.scheme,
            "domain": base.netloc,
            "site_name": base.netloc,
        }
        return super().form_valid(form)
