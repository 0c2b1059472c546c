from django.conf import settings

from kiosk.middleware import UNLOCKED_ON


def api_target(request) -> dict:
    """Lets every page show, in a banner, that claims go to the sandbox."""
    return {
        "api_is_sandbox": settings.ORDERPROTECTION_SANDBOX,
        "api_url": settings.ORDERPROTECTION_API_URL,
    }


def tablet(request) -> dict:
    """The shared tablet this page is on, and whether an associate unlocked it by PIN."""
    session = getattr(request, "session", None)
    return {
        "tablet": getattr(request, "tablet", None),
        "tablet_unlocked": bool(session and UNLOCKED_ON in session),
        "idle_seconds": settings.KIOSK_IDLE_SECONDS,
        "idle_warning_seconds": settings.KIOSK_IDLE_WARNING_SECONDS,
    }
