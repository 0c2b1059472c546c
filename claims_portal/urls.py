from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from kiosk.account_views import PortalPasswordResetView
from kiosk.endpoints import favicon, healthz, healthz_delivery, orderprotection_webhook
from kiosk.photo_views import public_media

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Asked for by browsers and tools that do not read the pages' <link rel="icon">.
    path("favicon.ico", favicon, name="favicon"),
    path("healthz/delivery", healthz_delivery, name="healthz-delivery"),
    path("webhooks/orderprotection", orderprotection_webhook, name="orderprotection-webhook"),
    path("admin/", admin.site.urls),
    # Before Django's own: the reset link names PORTAL_BASE_URL, never the request's Host.
    path("accounts/password_reset/", PortalPasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("kiosk.urls")),
]

if settings.SERVE_MEDIA:
    # What OrderProtection fetches, without a login: photos named in claims, and only them.
    media_prefix = settings.MEDIA_URL.strip("/")
    urlpatterns += [re_path(rf"^{media_prefix}/(?P<path>claims/.+)$", public_media)]
