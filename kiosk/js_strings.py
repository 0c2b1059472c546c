"""The words the tablet's scripts show (static/kiosk/*.js), translated like the rest.

Each page carries them, in its own language, as JSON (#kiosk-strings in base.html) and
static/kiosk/strings.js reads them: a page kept for offline use (the service worker's
shells) keeps its words with it. `%(name)s` placeholders are filled in by the script.
Plurals come as two keys (`…_one`, `…_other`): English and Spanish need no more.
"""

from django.utils.translation import gettext_lazy as _

JS_STRINGS = {
    # tablet.js
    "idle_title": _("Still there?"),
    "idle_countdown_one": _("The tablet locks in %(seconds)s second."),
    "idle_countdown_other": _("The tablet locks in %(seconds)s seconds."),
    "idle_kept": _("Claims in progress are kept for you: unlock with your PIN to go on."),
    "idle_still_here": _("I'm still here"),
    # kiosk.js
    "saving": _("Saving…"),
    "saved": _("Saved"),
    "kept": _("Kept on this tablet: sends when the connection is back"),
    "unsaved": _("Not saved: no connection"),
    "submitting": _("Submitting…"),
    "zip_filled": _("%(places)s filled from the ZIP code"),
    # catalog.js
    "catalog_no_copy": _(
        "No connection, and this tablet has no copy of the catalog yet: type the item in below."
    ),
    "catalog_nothing": _(
        "Nothing in the catalog for “%(query)s”: check it, or type the item in below."
    ),
    "catalog_found_one": _("1 product found."),
    "catalog_found_other": _("%(count)s products found."),
    "catalog_found_offline_one": _("1 product found in this tablet's copy (offline)."),
    "catalog_found_offline_other": _("%(count)s products found in this tablet's copy (offline)."),
    "catalog_filled": _("Filled in from the catalog: %(product)s. Check the price paid."),
    "catalog_not_picked": _("Not from the catalog: the item is as typed below."),
    "sku": _("SKU %(sku)s"),
    # photos.js
    "photo_preparing": _("Preparing %(name)s…"),
    "photo_uploading": _("Uploading %(name)s…"),
    "photo": _("Photo"),
    "remove": _("Remove"),
    "photo_kept": _("Kept on this tablet: uploads when the connection is back"),
    "try_again": _("Try again"),
    "dismiss": _("Dismiss"),
    "photo_not_saved": _("The photo could not be saved."),
    "photo_no_connection": _("No connection: the photo was not saved."),
    "photos_waiting": _("Waiting for the photos to finish uploading…"),
    "photos_add": _("Add photos"),
    "photos_add_more": _("Add more photos"),
    "photo_add": _("Add a photo"),
    "photo_change": _("Change photo"),
    "photo_none": _("No photo yet"),
    "photos_uploading_one": _("Uploading %(count)s photo…"),
    "photos_uploading_other": _("Uploading %(count)s photos…"),
    "photos_added_one": _("%(count)s photo added"),
    "photos_added_other": _("%(count)s photos added"),
    # offline-pages.js
    "saved_on_server_step": _(
        "This step was saved on the server before the connection dropped; it shows again "
        "when the connection is back. Next and Back go on without changing it."
    ),
    "fill_again": _("Fill it in again here"),
    "edit": _("Edit"),
    "not_filled_yet": _("Not filled in yet."),
    "saved_on_server": _("Saved on the server."),
    "receipt_photo": _("Receipt photo"),
    "item_photo": _("Item photo"),
    "kept_photo": _("%(photo)s (kept on this tablet)"),
    "money": _("$%(amount)s"),
    "kept_unreadable": _("What was kept for this claim could not be read on this tablet."),
    # outbox.js and outbox-replay.js
    "claims_waiting_one": _("1 claim waiting to send"),
    "claims_waiting_other": _("%(count)s claims waiting to send"),
    "requests_to_send_one": _("1 request to send"),
    "requests_to_send_other": _("%(count)s requests to send"),
    "needs_correction": _("Needs a correction"),
    "no_connection_yet": _("No connection yet."),
    "steps_incomplete": _("Some steps are not complete yet."),
    "server_refused": _("The server refused this."),
    "server_answered": _("The server answered %(status)s."),
    # scanner.js
    "scan_looking": _("Hold the barcode inside the frame, about a hand's width from the camera."),
    "scan_starting": _("Starting the camera…"),
    "scan_insecure": _(
        "The camera only works when the portal is opened with https://. "
        "Type the barcode's digits instead."
    ),
    "scan_no_camera": _(
        "This tablet has no camera the portal can use. Type the barcode's digits instead."
    ),
    "scan_denied": _(
        "The portal is not allowed to use the camera. Allow the camera for this site in the "
        "browser's settings, or type the barcode's digits instead."
    ),
    "scan_busy": _(
        "Another app is using the camera. Close it and try again, or type the barcode's digits."
    ),
    "scan_no_decoder": _("The barcode reader could not start. Type the barcode's digits instead."),
    "scan_title": _("Scan the barcode"),
    "scan_type_instead": _("Type it instead"),
}
