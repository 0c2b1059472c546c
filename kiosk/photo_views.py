"""Photos and signatures over HTTP: uploads from the tablet, staff viewing, the API's fetches."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kiosk.forms.fields import ImageUploadField
from kiosk.models import ClaimAttachment
from kiosk.selectors.scoping import stores_visible_to
from kiosk.services.attachments import attachment_staff_url, media_signature_valid
from kiosk.services.drafts import (
    PHOTO_STEPS,
    ClaimNotEditable,
    claim_add_photos,
    claim_remove_attachment,
)
from kiosk.services.images import ImageDecodeBusy
from kiosk.validators import tablet_made_id
from kiosk.views import associate_claim

# The kinds of photo uploaded on their own, with the step that collects each.
UPLOAD_KINDS = PHOTO_STEPS


@require_POST
def photo_upload(request: HttpRequest, reference: str) -> JsonResponse:
    """Photos picked on the tablet, sent in the background (kiosk.js): JSON, no reload."""
    claim = associate_claim(request, reference, attachments=False)
    kind = request.POST.get("kind", "")
    if kind not in UPLOAD_KINDS:
        return JsonResponse({"error": _("Unknown kind of photo.")}, status=400)
    if not claim.is_editable:
        return JsonResponse({"error": _("This claim was sent meanwhile.")}, status=409)
    # The id the tablet gave the photo: an upload sent again answers with the same photo.
    tablet_id = tablet_made_id(request.POST.get("photo_id"))
    field = ImageUploadField()
    try:
        images = field.clean(request.FILES.getlist("photo"))
        added = claim_add_photos(claim=claim, kind=kind, images=images, tablet_id=tablet_id)
    except ValidationError as error:
        if field.busy:
            return decode_busy_response({"error": " ".join(error.messages)})
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    except ClaimNotEditable:
        return JsonResponse({"error": _("This claim was sent meanwhile.")}, status=409)
    return JsonResponse({"photos": [photo_json(claim.reference, a) for a in added]}, status=201)


@require_POST
def photo_remove(request: HttpRequest, reference: str, pk: int) -> JsonResponse:
    claim = associate_claim(request, reference, attachments=False)
    attachment = get_object_or_404(claim.attachments.current(), pk=pk)
    try:
        claim_remove_attachment(claim=claim, attachment_id=attachment.pk)
    except ClaimNotEditable:
        return JsonResponse({"error": _("This claim was sent meanwhile.")}, status=409)
    return JsonResponse({"removed": pk})


def decode_busy_response(body: dict) -> JsonResponse:
    """503 with Retry-After: the photo waited too long to be decoded; send it again as it is."""
    response = JsonResponse(body | {"busy": True}, status=503)
    response["Retry-After"] = str(ImageDecodeBusy.retry_after_seconds)
    return response


def photo_json(reference: str, attachment: ClaimAttachment) -> dict:
    """A stored photo as the tablet's script shows it: its tile, and how to remove it."""
    from django.urls import reverse

    return {
        "id": attachment.pk,
        "kind": attachment.kind,
        "thumbnail": attachment_staff_url(attachment=attachment, thumbnail=True),
        "remove": reverse("kiosk:photo-remove", args=[reference, attachment.pk]),
    }


@require_GET
def photo(request: HttpRequest, pk: int, thumbnail: bool = False) -> FileResponse:
    """A photo for a logged-in person who works at its store (anyone else: 404)."""
    stores = stores_visible_to(request.user, tablet=request.tablet)
    attachment = get_object_or_404(ClaimAttachment, pk=pk, claim__store__in=stores)
    field = attachment.thumbnail if thumbnail and attachment.thumbnail else attachment.file
    response = FileResponse(default_storage.open(field.name), content_type=attachment.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_not_required
@require_GET
def public_media(request: HttpRequest, path: str) -> FileResponse:
    """What OrderProtection's servers fetch: the photos and signatures named in claims.

    Only those files, never a listing or any other file (thumbnails included);
    with MEDIA_SIGNED_URLS, only with a signature that has not expired.
    """
    attachment = ClaimAttachment.objects.filter(file=path).first()
    if attachment is None or settings.MEDIA_STORAGE != "filesystem":
        raise Http404(_("No such file."))
    if settings.MEDIA_SIGNED_URLS and not media_signature_valid(
        name=path,
        expires=request.GET.get("expires", ""),
        signature=request.GET.get("signature", ""),
    ):
        raise Http404(_("No such file."))
    response = FileResponse(default_storage.open(path), content_type=attachment.content_type)
    response["Cache-Control"] = "private, max-age=300"
    return response
