"""How answers from the API are kept in the audit trail."""

import json

from django.conf import settings


def response_json(body_text: str):
    """The response as JSON when it is JSON, else the text itself (capped)."""
    try:
        return json.loads(body_text)
    except ValueError:
        return body_text[: settings.AUDIT_BODY_MAX_CHARS] or None
