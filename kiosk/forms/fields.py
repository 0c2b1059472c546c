"""Form fields and widgets shared by the claim steps."""

from crispy_forms.layout import HTML, Div
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kiosk.services.images import (
    DECODE_BUSY,
    ImageDecodeBusy,
    NormalisedImage,
    image_check_size,
    image_normalise,
)


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ImageUploadField(forms.FileField):
    """One or more photos, each checked and normalised (kiosk.services.images).

    `accepted` holds the normalised images that passed even when another did
    not, so that the view can keep every good photo while it reports the bad
    ones, whose messages are in `refused`. The decoding happens here, in
    `is_valid()`, which the drafts service calls before any database write.
    `busy` says that photos were left undecoded because the portal was busy
    (ImageDecodeBusy): nothing is wrong with them, they can be sent again as they are.
    """

    def __init__(self, *, multiple: bool = True, **kwargs):
        self.multiple = multiple
        widget_class = MultipleImageInput if multiple else forms.ClearableFileInput
        kwargs.setdefault("required", False)
        # No `capture`: a tablet then offers the camera and the gallery both.
        attrs = {"accept": "image/*,.heic,.heif"}
        kwargs.setdefault("widget", widget_class(attrs=attrs))
        super().__init__(**kwargs)
        self.accepted: list[NormalisedImage] = []
        self.refused: list[str] = []
        self.busy = False

    def clean(self, data, initial=None) -> list[NormalisedImage]:
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        self.accepted, self.refused, self.busy = [], [], False
        if len(files) > settings.UPLOAD_MAX_FILES:
            self.refused.append(
                _(
                    "%(count)s photos were sent at once; at most %(most)s can be. "
                    "Add the others in a second go."
                )
                % {"count": len(files), "most": settings.UPLOAD_MAX_FILES}
            )
            raise ValidationError(self.refused)
        for upload in files:
            try:
                image_check_size(size=upload.size or 0)
                self.accepted.append(image_normalise(data=b"".join(upload.chunks())))
            except ValidationError as error:
                self.refused.extend(f"{upload.name}: {m}" for m in error.messages)
            except ImageDecodeBusy:
                # The next ones would wait as long again: none is decoded now.
                self.busy = True
                self.refused.append(str(DECODE_BUSY))
                break
        if self.refused:
            raise ValidationError(self.refused)
        return self.accepted


def attachment_thumbnails(kind: str) -> HTML:
    """Layout item: the photos of this kind already on the claim, each with Remove."""
    return HTML(
        '{% include "kiosk/includes/attachments.html" with '
        f'attachments=attachments_by_kind.{kind} kind="{kind}" removable=True %}}'
    )


def columns(*field_names: str) -> Div:
    """Layout item: fields side by side in equal columns, stacked on narrow screens."""
    return Div(*(Div(name, css_class="col-md") for name in field_names), css_class="row")


class Advanced(Div):
    """Layout item: a collapsed panel for what the store's policy already decided.

    It opens by itself when one of its fields has an error.
    """

    template = "kiosk/layout/advanced.html"

    def __init__(self, summary: str, *fields, **kwargs):
        self.summary = summary
        self.open = False
        super().__init__(*fields, **kwargs)

    def render(self, form, context, template_pack=None, **kwargs):
        names = {pointer.name for pointer in self.get_field_names()}
        self.open = bool(form.is_bound and names & form.errors.keys())
        return super().render(form, context, template_pack=template_pack, **kwargs)
