"""Photo URLs for staff pages: through the view that checks the login and the store."""

from django import template

from kiosk.models import ClaimAttachment
from kiosk.services.attachments import attachment_staff_url

register = template.Library()


@register.filter
def photo_url(attachment: ClaimAttachment) -> str:
    return attachment_staff_url(attachment=attachment)


@register.filter
def thumbnail_url(attachment: ClaimAttachment) -> str:
    return attachment_staff_url(attachment=attachment, thumbnail=True)


@register.simple_tag
def payload_thumbnail(url: str, claim) -> str:
    """The thumbnail of the photo a payload URL names (the review shows no full photo)."""
    for attachment in claim.attachments.all():
        if attachment.file.name and attachment.file.name in url:
            return attachment_staff_url(attachment=attachment, thumbnail=True)
    return ""
