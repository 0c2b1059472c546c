"""The tablet's outbox: what the tablet kept while offline, sent when the connection is back.

One endpoint takes each kept item, in order, and answers in JSON what became of it,
so that the tablet drops it, keeps it to try again, or shows what needs a correction.
It acts for the associate its token names (kiosk.services.outbox), for this request
only: it neither reads nor changes the session, and logs nobody in, so it works while
the tablet is locked or someone else has unlocked it. Every item carries an id made on
the tablet, and an item sent twice is done once (kiosk.services.drafts). No answer
holds a customer's data.
"""

import uuid

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kiosk.delivery.results import Result
from kiosk.forms.fields import ImageUploadField
from kiosk.models import Claim, Tablet
from kiosk.photo_views import UPLOAD_KINDS, decode_busy_response, photo_json
from kiosk.selectors.scoping import associate_claims
from kiosk.services.attachments import public_media_base_url
from kiosk.services.completeness import claim_incomplete_steps
from kiosk.services.drafts import (
    ClaimNotEditable,
    ReferenceTaken,
    claim_add_photos,
    claim_remove_attachment,
    claim_remove_photo,
    claim_start,
)
from kiosk.services.languages import claim_set_customer_language
from kiosk.services.outbox import outbox_user, tablet_report_waiting
from kiosk.services.quotas import DraftLimitReached, pending_not_kept_message
from kiosk.services.submission import claim_submit
from kiosk.steps import (
    STEPS_BY_SLUG,
    FormStep,
    first_incomplete_step,
    page_of,
    page_to_correct,
)
from kiosk.validators import tablet_made_id

TOKEN_HEADER = "X-Kiosk-Outbox-Token"
WAITING_HEADER = "X-Kiosk-Waiting"
SIGNED_OUT = _(
    "This tablet is signed out. Ask a manager to sign it in again; the claims wait on it."
)
DRAFTS_HELD = _(
    "Waiting: this associate has too many claims not finished. Finish or discard some "
    "of them to send this one; it waits on this tablet."
)
# How long the tablet waits before it sends a held start again (the most it honours).
DRAFTS_HELD_RETRY_SECONDS = 300
TOKEN_REFUSED = _(
    "The claims kept on this tablet can no longer be sent in their associate's name. "
    "Ask them to unlock the tablet with their PIN; the claims wait on it."
)


def _refused(status: int, error: str, message: str) -> JsonResponse:
    return JsonResponse({"status": "refused", "error": error, "message": message}, status=status)


# The only credential is the token, in a header of our own: another site's page can
# neither read it nor set a custom header on a cross-site request, so CSRF has nothing
# to forge, and the endpoint must work without the session's CSRF cookie.
@csrf_exempt
@login_not_required
@require_POST
@never_cache
def outbox(request: HttpRequest) -> JsonResponse:
    """One item of the tablet's outbox: `kind` start, save, photo, remove_photo, language or
    submit;
    or `status`, which only reports the count of claims waiting on the tablet."""
    tablet = request.tablet
    if tablet is None:
        return _refused(403, "signed_out", SIGNED_OUT)
    waiting = request.headers.get(WAITING_HEADER, "")
    if waiting.isascii() and waiting.isdigit():
        tablet_report_waiting(tablet=tablet, count=int(waiting))
    user = outbox_user(token=request.headers.get(TOKEN_HEADER, ""), tablet=tablet)
    if user is None:
        return _refused(403, "token", TOKEN_REFUSED)
    item_id = tablet_made_id(request.POST.get("id"))
    if item_id is None:
        return _refused(400, "bad_request", _("Each item needs its id (a UUID)."))
    kind = request.POST.get("kind", "")
    reference = request.POST.get("reference", "")
    if kind == "status":  # nothing to do but the waiting count, recorded above
        return JsonResponse({"status": "saved"})
    if kind == "start":
        return _start(tablet, user, reference)
    if kind not in CHANGES and kind != "submit":
        return _refused(400, "bad_request", _("Unknown kind of item."))
    claim = (
        associate_claims(associate=user, tablet=tablet)
        .select_related("store")
        .filter(reference=reference)
        .first()
    )
    if claim is None:
        return _refused(404, "no_claim", _("No claim of this associate has this reference here."))
    if kind == "submit":
        return _submit(claim)
    if not claim.is_editable:
        return JsonResponse({"status": "sent_meanwhile"})
    try:
        return CHANGES[kind](request, claim, item_id)
    except ClaimNotEditable:
        return JsonResponse({"status": "sent_meanwhile"})


def _start(tablet: Tablet, user: AbstractBaseUser, reference: str) -> JsonResponse:
    """A claim made on the tablet while it was offline. It exists there already, so the
    draft limit never refuses it (a refused start is shown as a correction, and the
    claim goes when it is dismissed): it goes past DRAFTS_OPEN_MAX_PER_ASSOCIATE, and
    past twice that it is held, 429 with Retry-After, so that the tablet keeps it and
    sends it again, saying why (kiosk.services.quotas.associate_check_drafts_room)."""
    try:
        claim_start(store=tablet.store, associate=user, reference=reference, kept_on_tablet=True)
    except ValueError:
        return _refused(400, "bad_request", _("Not a claim reference."))
    except ReferenceTaken:
        return _refused(409, "reference_taken", _("Another claim has this reference already."))
    except DraftLimitReached:
        held = JsonResponse(
            {"status": "held", "error": "drafts_limit", "message": DRAFTS_HELD}, status=429
        )
        held["Retry-After"] = str(DRAFTS_HELD_RETRY_SECONDS)
        return held
    return JsonResponse({"status": "saved"})


def _save(request: HttpRequest, claim: Claim, item_id: uuid.UUID) -> JsonResponse:
    step = STEPS_BY_SLUG.get(request.POST.get("step", ""))
    if not isinstance(step, FormStep):
        return _refused(400, "bad_request", _("Unknown step."))
    try:
        replayed = step.replay(claim, request.POST, save_id=item_id)
    except ValidationError as error:  # the id is another claim's save
        return _refused(400, "bad_request", " ".join(error.messages))
    if replayed.not_kept:
        # Saved, but not all of it: the tablet shows this among its corrections.
        return JsonResponse(
            {
                "status": "needs_correction",
                "step": page_of(step).slug,
                "message": pending_not_kept_message(labels=replayed.not_kept),
                "complete": replayed.complete,
            }
        )
    return JsonResponse({"status": "saved", "complete": replayed.complete})


def _photo(request: HttpRequest, claim: Claim, item_id: uuid.UUID) -> JsonResponse:
    kind = request.POST.get("photo_kind", "")
    photo_id = tablet_made_id(request.POST.get("photo_id"))
    if kind not in UPLOAD_KINDS or photo_id is None:
        return _refused(400, "bad_request", _("A photo needs its kind and its id."))
    field = ImageUploadField()
    try:
        images = field.clean(request.FILES.getlist("photo"))
        [added] = claim_add_photos(claim=claim, kind=kind, images=images, tablet_id=photo_id)
    except ValidationError as error:
        if field.busy:  # kept on the tablet and sent again after Retry-After
            return decode_busy_response({"status": "busy", "message": " ".join(error.messages)})
        return _refused(422, "photo", " ".join(error.messages))
    return JsonResponse({"status": "saved", "photo": photo_json(claim.reference, added)})


def _remove_photo(request: HttpRequest, claim: Claim, item_id: uuid.UUID) -> JsonResponse:
    """A photo removed offline: by the id the tablet gave it, or by the server's own
    (`attachment`) for a photo that was uploaded before the connection dropped."""
    photo_id = tablet_made_id(request.POST.get("photo_id"))
    attachment = request.POST.get("attachment", "")
    if photo_id is not None:
        claim_remove_photo(claim=claim, tablet_id=photo_id)
    elif attachment.isascii() and attachment.isdigit():
        stored = claim.attachments.current().filter(pk=int(attachment)).first()
        if stored is not None and stored.kind in UPLOAD_KINDS:
            claim_remove_attachment(claim=claim, attachment_id=stored.pk)
    else:
        return _refused(400, "bad_request", _("Which photo: its id is missing."))
    return JsonResponse({"status": "saved"})


def _submit(claim: Claim) -> JsonResponse:
    """As the review page's Submit (kiosk.views.claim_submit_view), once: a claim already
    submitted is not submitted again."""
    if not claim.is_editable:
        return JsonResponse({"status": "submitted"})
    result = claim_submit(claim=claim, media_base_url=public_media_base_url())
    if result.result == Result.INCOMPLETE and claim_incomplete_steps(claim=claim):
        return JsonResponse(
            {
                "status": "needs_correction",
                "step": first_incomplete_step(claim).slug,
                "message": _("Some steps are not complete yet."),
            }
        )
    if result.result in (Result.REJECTED, Result.INCOMPLETE):
        return JsonResponse(
            {
                "status": "needs_correction",
                "step": page_to_correct(claim).slug,
                "message": claim.last_error,
            }
        )
    if result.result == Result.NOT_EDITABLE:
        return JsonResponse({"status": "submitted"})
    return JsonResponse({"status": "submitted", "result": result.result.value})


def _language(request: HttpRequest, claim: Claim, item_id: uuid.UUID) -> JsonResponse:
    """The customer's "English | Español", tapped on the review shown offline."""
    try:
        claim_set_customer_language(claim=claim, language=request.POST.get("customer_language", ""))
    except ValueError:
        return _refused(400, "bad_request", _("Not one of the portal's languages."))
    return JsonResponse({"status": "saved"})


# What changes a claim still being written (anything else is sent meanwhile).
CHANGES = {
    "save": _save,
    "photo": _photo,
    "remove_photo": _remove_photo,
    "language": _language,
}
