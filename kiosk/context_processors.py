from django.conf import settings

from kiosk.js_strings import JS_STRINGS
from kiosk.middleware import UNLOCKED_ON, tablet_idle_seconds
from kiosk.services.outbox import outbox_token


def api_target(request) -> dict:
    """Lets every page show, in a banner, that claims go to the sandbox."""
    return {
        "api_is_sandbox": settings.ORDERPROTECTION_SANDBOX,
        "api_url": settings.ORDERPROTECTION_API_URL,
    }


def tablet(request) -> dict:
    """The shared tablet this page is on, and whether an associate unlocked it by PIN."""
    session = getattr(request, "session", None)
    unlocked = bool(session and UNLOCKED_ON in session)
    tablet = getattr(request, "tablet", None)
    unlocked_here = unlocked and tablet is not None and session[UNLOCKED_ON] == tablet.pk
    return {
        "tablet": tablet,
        "tablet_unlocked": unlocked,
        # What the tablet keeps while offline is sent later with this (kiosk/services/outbox.py).
        "outbox_token": (
            outbox_token(tablet=tablet, user=request.user)
            if unlocked_here and request.user.is_authenticated
            else ""
        ),
        "idle_seconds": settings.KIOSK_IDLE_SECONDS,
        "idle_warning_seconds": settings.KIOSK_IDLE_WARNING_SECONDS,
        # The page counts down from the associate's last activity, not from its own load:
        # a page that reloads by itself does not restart the countdown.
        "idle_for": round(tablet_idle_seconds(request)) if unlocked else 0,
    }


def kiosk_strings(request) -> dict:
    """The words the tablet's scripts show, in the page's language (kiosk/js_strings.py)."""
    return {"kiosk_strings": JS_STRINGS}
