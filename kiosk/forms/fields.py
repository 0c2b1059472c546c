"""Form fields and widgets shared by the claim steps."""

import re

from crispy_forms.layout import HTML, Div
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from kiosk.services.attachments import image_inspect


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ImageUploadField(forms.FileField):
    """One or more photos, each checked by decoding it with Pillow.

    `accepted` holds the files that passed even when another did not, so that
    the view can keep every good photo while it reports the bad ones, whose
    messages are in `refused`.
    """

    def __init__(self, *, multiple: bool = True, **kwargs):
        self.multiple = multiple
        widget_class = MultipleImageInput if multiple else forms.ClearableFileInput
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", widget_class(attrs={"accept": "image/*"}))
        super().__init__(**kwargs)
        self.accepted: list[UploadedFile] = []
        self.refused: list[str] = []

    def clean(self, data, initial=None) -> list[UploadedFile]:
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        self.accepted, self.refused = [], []
        for upload in files:
            try:
                image_inspect(data=b"".join(upload.chunks()))
            except ValidationError as error:
                self.refused.extend(f"{upload.name}: {m}" for m in error.messages)
            else:
                upload.seek(0)
                self.accepted.append(upload)
        if self.refused:
            raise ValidationError(self.refused)
        return self.accepted


DURATION_UNITS = {"D": "day", "W": "week", "M": "month", "Y": "year"}


def warranty_period_label(value: str) -> str:
    """ "P90D" -> "90 days", "P1Y" -> "1 year"; anything else is shown as written."""
    match = re.fullmatch(r"P(\d+)([DWMY])", value)
    if not match:
        return value
    count, unit = int(match[1]), DURATION_UNITS[match[2]]
    return f"{count} {unit}{'' if count == 1 else 's'}"


def attachment_thumbnails(kind: str) -> HTML:
    """Layout item: the photos of this kind already on the claim, each with Remove."""
    return HTML(
        '{% include "kiosk/includes/attachments.html" with '
        f'attachments=attachments_by_kind.{kind} kind="{kind}" removable=True %}}'
    )


def columns(*field_names: str) -> Div:
    """Layout item: fields side by side in equal columns, stacked on narrow screens."""
    return Div(*(Div(name, css_class="col-md") for name in field_names), css_class="row")
