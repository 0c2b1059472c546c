from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from django.views.static import serve

from kiosk.endpoints import healthz, healthz_delivery, orderprotection_webhook

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("healthz/delivery", healthz_delivery, name="healthz-delivery"),
    path("webhooks/orderprotection", orderprotection_webhook, name="orderprotection-webhook"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("kiosk.urls")),
]

if settings.SERVE_MEDIA:
    # OrderProtection fetches uploads without a login; their names are unguessable.
    media_prefix = settings.MEDIA_URL.strip("/")
    urlpatterns += [
        re_path(
            rf"^{media_prefix}/(?P<path>.*)$",
            login_not_required(serve),
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
