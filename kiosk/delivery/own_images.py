"""Whether a rejection names one of our own photos: OrderProtection could not fetch it.

Every image of a claim travels as a URL that OrderProtection's servers fetch
(create-offline-claim.md). The docs do not say how a failed fetch is answered; the
sandbox names the image's field in a 400. When that field holds the URL of a file the
claim still holds, the photo is fine and the fault is ours (media serving, or the API
timing out on a busy portal): it is retried, never sent back to the associate. The
rule is the field and the URL, never the wording of the message.
"""

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from kiosk.models import Claim, ClaimAttachment

# The body's keys that carry image URLs (create-offline-claim.md).
IMAGE_URL_KEYS = ("item.images", "item.productImage", "warranty.receiptImages", "signature")

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def own_image_named(*, claim: Claim, field_path: str) -> ClaimAttachment | None:
    """The claim's stored photo whose URL the body sent at `field_path`, if there is one.

    None when the field is not an image URL, when its URL is not one of ours (the
    catalog's product picture), or when the photo was removed or its file is gone.
    """
    if field_path.split("[", 1)[0] not in IMAGE_URL_KEYS:
        return None
    url = _value_at(claim.request_payload or {}, field_path)
    if not isinstance(url, str) or not url:
        return None
    path = unquote(urlsplit(url).path)
    for attachment in claim.attachments.filter(removed_at__isnull=True):
        name = attachment.file.name
        # Stored names are random: a URL path ending in one names that file.
        if name and path.endswith("/" + name) and attachment.file.storage.exists(name):
            return attachment
    return None


def _value_at(body: dict, field_path: str) -> Any:
    """The value at "item.images[0]" in the body, or None."""
    value: Any = body
    for key, index in _PATH_PART.findall(field_path):
        try:
            value = value[int(index)] if index else value[key]
        except (KeyError, IndexError, TypeError):
            return None
    return value
