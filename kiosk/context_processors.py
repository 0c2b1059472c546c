from django.conf import settings


def api_target(request) -> dict:
    """Lets every page show, in a banner, that claims go to the sandbox."""
    return {
        "api_is_sandbox": settings.ORDERPROTECTION_SANDBOX,
        "api_url": settings.ORDERPROTECTION_API_URL,
    }
