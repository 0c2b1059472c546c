"""Endpoints for machines: health checks for load balancers and monitoring, and
OrderProtection's webhooks. None needs a login; none tells an anonymous caller more
than it must."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from kiosk.auth_backends import pin_session
from kiosk.followup.webhooks import WebhookRefused, webhook_receive, webhook_secret_valid
from kiosk.services.health import health_delivery, health_delivery_details_for, health_liveness

logger = logging.getLogger(__name__)


@login_not_required
@require_GET
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """/favicon.ico, for browsers and tools that do not read a page's <link rel="icon">."""
    return HttpResponsePermanentRedirect(static("kiosk/favicon.svg"))


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the database, file storage and the task queue.

    200 or 503. Anonymous callers get only "ok" or "fail"; staff see each check.
    """
    healthy, checks = health_liveness()
    if not healthy:
        logger.error("Health check failed: %s", checks)
    return _health_response(request, healthy, {"checks": checks})


@login_not_required
@never_cache
@require_GET
def healthz_delivery(request: HttpRequest) -> JsonResponse:
    """For alerting, not for load balancers: 503 while a claim waits too long for delivery.

    The status is of every store; the counts shown are only of the stores the caller may see.
    """
    healthy, backlog = health_delivery()
    if not healthy:
        logger.error("Delivery is behind: %s", backlog)
    details = health_delivery_details_for(user=request.user)
    return _health_response(request, healthy, {"delivery": details} if details else {})


def _health_response(request: HttpRequest, healthy: bool, details: dict) -> JsonResponse:
    body = {"status": "ok" if healthy else "fail"}
    if request.user.is_authenticated and request.user.is_staff and not pin_session(request):
        body |= details
    return JsonResponse(body, status=200 if healthy else 503)


@login_not_required
@csrf_exempt
@require_POST
def orderprotection_webhook(request: HttpRequest) -> JsonResponse:
    """OrderProtection's claim events: checked, stored once, applied in the background."""
    if not webhook_secret_valid(given=request.headers.get("x-webhook-secret")):
        logger.warning("Webhook refused: wrong or missing x-webhook-secret")
        return JsonResponse({"status": "error", "message": "Unauthorized"}, status=401)
    if len(request.body) > settings.WEBHOOK_MAX_BYTES:
        return JsonResponse({"status": "error", "message": "Too large"}, status=413)
    try:
        received = webhook_receive(raw_body=request.body)
    except WebhookRefused as refused:
        return JsonResponse({"status": "error", "message": str(refused)}, status=refused.status)
    return JsonResponse({"status": "ok", "duplicate": received.duplicate})
