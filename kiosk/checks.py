from django.conf import settings
from django.core import checks
from django.core.files.storage import default_storage
from django.core.files.storage.filesystem import FileSystemStorage


@checks.register(checks.Tags.compatibility)
def check_public_media_base_url(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Outside DEBUG, local files need PUBLIC_MEDIA_BASE_URL to become fetchable URLs."""
    if settings.DEBUG or settings.PUBLIC_MEDIA_BASE_URL:
        return []
    if not isinstance(default_storage, FileSystemStorage):
        return []
    return [
        checks.Error(
            "PUBLIC_MEDIA_BASE_URL is not set.",
            hint="Set it to the public https:// address that serves MEDIA_URL, so that "
            "OrderProtection can fetch photos and signatures.",
            id="kiosk.E001",
        )
    ]
