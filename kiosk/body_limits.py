"""Request bodies refused from their header, before a byte of them is read.

Django reads a multipart body only when a view asks for `request.POST` or `request.FILES`,
and writes each file part above FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file: left
alone, a 1 GB POST to the login page goes to disk in full (DATA_UPLOAD_MAX_MEMORY_SIZE
covers only the parts that are not files). This middleware runs before anything reads the
body, and answers from the Content-Length header alone:

- 413 above REQUEST_MAX_BYTES_ANONYMOUS for an anonymous request (the login, the PIN pad,
  a password reset, OrderProtection's webhook: small forms and JSON), and above
  REQUEST_MAX_BYTES for someone signed in (the largest legitimate request: a step's photos
  posted with the form). The tablet's outbox counts as signed in when its token is good:
  it replays a locked tablet's photos in the name of the associate who took them.
- 411 for a body with no Content-Length (chunked): Django would read none of it, so the
  request would lose its data silently; the portal's own pages always send the length.
- 503 "busy" (Retry-After) for a request carrying more than one photo's bytes while
  REQUEST_LARGE_CONCURRENCY such requests are being handled in this process: parsing
  their bodies would otherwise take every thread, /healthz's too. The tablet's script and
  outbox send one photo a request, so they never meet it; the photos the script sends
  again by themselves.

An anonymous request may carry no file at all: its file parts are skipped, never
written anywhere (RefusedFileUploadHandler), whatever the limits say.
"""

import threading

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from kiosk.middleware import language_activate
from kiosk.outbox_views import TOKEN_HEADER
from kiosk.services.images import DECODE_BUSY, ImageDecodeBusy
from kiosk.services.outbox import outbox_user
from kiosk.services.process_slots import process_slots


class RefusedFileUploadHandler(FileUploadHandler):
    """Skips every file part of a request: nothing of it is kept, in memory or on disk."""

    def new_file(self, *args, **kwargs):
        raise SkipFile

    def receive_data_chunk(self, raw_data, start):
        return None

    def file_complete(self, file_size):
        return None


class RequestBodyLimitMiddleware:
    """413 (or 411) from the headers, before the body is read; see the module's docstring.

    Placed after the authentication and tablet middleware, which read only cookies and
    headers, and before anything that reads the body (CSRF's check reads the form later,
    in process_view).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        length = _content_length(request)
        if chunked and not length:
            return _refused(request, 411, length, 0)
        signed_in = _signed_in(request)
        limit = settings.REQUEST_MAX_BYTES if signed_in else settings.REQUEST_MAX_BYTES_ANONYMOUS
        if length > limit:
            return _refused(request, 413, length, limit)
        if not signed_in:
            request.upload_handlers = [RefusedFileUploadHandler(request)]
        if length <= settings.UPLOAD_MAX_BYTES + ONE_PHOTO_FORM_BYTES:
            return self.get_response(request)
        slots = _large_request_slots()
        if slots is None:
            return self.get_response(request)
        if not slots.acquire(blocking=False):
            return _busy(request)
        try:
            return self.get_response(request)
        finally:
            slots.release()


# The form fields and multipart framing around one photo.
ONE_PHOTO_FORM_BYTES = 1024 * 1024


def _large_request_slots() -> threading.BoundedSemaphore | None:
    """This process's slots for REQUEST_LARGE_CONCURRENCY requests (None: no limit)."""
    return process_slots("large request", settings.REQUEST_LARGE_CONCURRENCY)


def _busy(request: HttpRequest) -> HttpResponse:
    # Read to its end, unparsed (a proxy still sending it would take an early answer for a
    # broken connection, and say 502 instead of this 503).
    while request.read(64 * 1024):
        pass
    language_activate(request)
    message = str(DECODE_BUSY)
    if _wants_json(request):
        response = JsonResponse(
            {"status": "busy", "busy": True, "error": message, "message": message}, status=503
        )
    else:
        response = render(
            request,
            "kiosk/request_too_large.html",
            {"message": message, "length_required": False},
            status=503,
        )
    response["Retry-After"] = str(ImageDecodeBusy.retry_after_seconds)
    return response


def _content_length(request: HttpRequest) -> int:
    # As Django reads it: a missing or malformed length is no body at all.
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _signed_in(request: HttpRequest) -> bool:
    if request.user.is_authenticated:
        return True
    token = request.headers.get(TOKEN_HEADER)
    tablet = getattr(request, "tablet", None)
    if token is None or tablet is None or request.path_info != reverse("kiosk:outbox"):
        return False
    return outbox_user(token=token, tablet=tablet) is not None


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f}" if size < 10_000_000 else f"{size / 1_000_000:.0f}"


def _wants_json(request: HttpRequest) -> bool:
    """The tablet's scripts (photo uploads, the outbox, background saves) and machines
    (the webhook) read JSON; a person's browser posting a form gets a page."""
    return (
        "X-Kiosk-Automatic" in request.headers
        or TOKEN_HEADER in request.headers
        or request.content_type == "application/json"
        or "application/json" in request.headers.get("Accept", "")
    )


def _refused(request: HttpRequest, status: int, length: int, limit: int) -> HttpResponse:
    # Said in the language of the person's pages (LanguageMiddleware comes later).
    language_activate(request)
    if status == 411:
        message = _("This request did not say how long it is (Content-Length), so it was refused.")
    else:
        message = _(
            "What was sent is %(size)s MB; at most %(limit)s MB can be sent at once. "
            "Send fewer photos at a time."
        ) % {"size": _megabytes(length), "limit": _megabytes(limit)}
    if _wants_json(request):
        # `error` as the photo uploads' answers say it (photos.js shows it); `status` and
        # `message` as the outbox's and the webhook's (a refused item is not sent again).
        response = JsonResponse(
            {"status": "refused", "error": message, "message": message}, status=status
        )
    else:
        response = render(
            request,
            "kiosk/request_too_large.html",
            {"message": message, "length_required": status == 411},
            status=status,
        )
    return response
