"""The desk's "Import catalog" page: upload, a preview of what would change (a dry run),
then "Import" to do it.

Between the preview and the confirmation the upload is kept server-side in a private
temporary folder (never in public media), named by a signed token that only the same
user can use for an hour; it is deleted once imported or discarded, and any left behind
are swept on the next preview.
"""

import os
import secrets
import tempfile
import time
from pathlib import Path

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from kiosk.models import Store
from kiosk.selectors.scoping import stores_visible_to
from kiosk.services.catalog_import import FILE_FORMATS, CatalogFileUnreadable, catalog_import
from kiosk.services.manager_actions import catalog_import_recorded

TOKEN_SALT = "kiosk.admin.catalog_import"
TOKEN_MAX_AGE = 60 * 60


def upload_dir() -> Path:
    """Private to the portal's user (0700), outside MEDIA_ROOT and STATIC_ROOT."""
    directory = Path(tempfile.gettempdir()) / "claims-portal-catalog-uploads"
    directory.mkdir(mode=0o700, exist_ok=True)
    return directory


class CatalogImportForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("CSV, TSV or XML, UTF-8."))
    file_format = forms.ChoiceField(
        label=_("Format"), choices=list(FILE_FORMATS.items()), widget=forms.RadioSelect
    )
    stores = forms.ModelMultipleChoiceField(
        queryset=Store.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The stores that sell these products (added to those already set)."),
    )

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stores"].queryset = stores


class CatalogImportMixin:
    """For ProductAdmin: the import page its get_urls serves."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="kiosk_product_import"),
            *super().get_urls(),
        ]

    def has_import_catalog_permission(self, request) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.import_catalog")

    def import_view(self, request):
        if not self.has_import_catalog_permission(request):
            raise PermissionDenied
        stores = stores_visible_to(request.user).order_by("name")
        if request.method == "POST" and "token" in request.POST:
            return self._confirmed(request)
        if request.method != "POST":
            initial = {"stores": list(stores)} if stores.count() == 1 else {}
            form = CatalogImportForm(stores=stores, initial=initial)
            return self._render(request, "import", form=form)
        form = CatalogImportForm(request.POST, request.FILES, stores=stores)
        if not form.is_valid():
            return self._render(request, "import", form=form, status=400)
        _sweep()
        kept = _keep(form.cleaned_data["file"])
        chosen = {
            "file_format": form.cleaned_data["file_format"],
            "stores": [store.pk for store in form.cleaned_data["stores"]],
        }
        try:
            report = catalog_import(
                file=kept,
                file_format=chosen["file_format"],
                stores=form.cleaned_data["stores"],
                dry_run=True,
                editable_stores=self._editable_stores(request),
            )
        except CatalogFileUnreadable as error:
            kept.unlink(missing_ok=True)
            form.add_error(
                "file",
                gettext("%(error)s Nothing was imported; choose the file again.")
                % {"error": error},
            )
            return self._render(request, "import", form=form, status=400)
        token = signing.dumps(
            {
                "name": kept.name,
                "user": request.user.pk,
                "file_name": form.cleaned_data["file"].name,
                **chosen,
            },
            salt=TOKEN_SALT,
        )
        again = CatalogImportForm(stores=stores, initial=chosen)
        return self._render(
            request,
            "preview",
            form=again,
            report=report,
            token=token,
            file_name=form.cleaned_data["file"].name,
            format_label=FILE_FORMATS[chosen["file_format"]],
            chosen_stores=form.cleaned_data["stores"],
        )

    def _confirmed(self, request):
        changelist = reverse("admin:kiosk_product_changelist")
        try:
            chosen = signing.loads(request.POST["token"], salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
        except signing.BadSignature:
            chosen = None
        kept = upload_dir() / chosen["name"] if chosen else None
        if chosen is None or chosen["user"] != request.user.pk or not kept.is_file():
            self.message_user(
                request,
                gettext("That preview has expired or was already imported: upload the file again."),
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:kiosk_product_import"))
        try:
            if "discard" in request.POST:
                self.message_user(request, gettext("Nothing was imported."), messages.INFO)
                return HttpResponseRedirect(changelist)
            stores = stores_visible_to(request.user).filter(pk__in=chosen["stores"])
            report = catalog_import_recorded(
                user=request.user,
                file=kept,
                file_name=chosen.get("file_name", ""),
                file_format=chosen["file_format"],
                stores=list(stores),
                editable_stores=self._editable_stores(request),
            )
        except CatalogFileUnreadable as error:
            self.message_user(
                request, gettext("Nothing imported: %(error)s") % {"error": error}, messages.ERROR
            )
            return HttpResponseRedirect(reverse("admin:kiosk_product_import"))
        finally:
            kept.unlink(missing_ok=True)
        self.message_user(
            request,
            gettext("Catalog imported. %(summary)s") % {"summary": report.summary()},
            messages.SUCCESS,
        )
        if report.refused:
            shown = " ".join(report.errors[:5])
            more = (
                gettext(" (and %(count)d more)") % {"count": report.refused - 5}
                if report.refused > 5
                else ""
            )
            refused = ngettext(
                "%(count)d row refused: %(rows)s%(more)s",
                "%(count)d rows refused: %(rows)s%(more)s",
                report.refused,
            ) % {"count": report.refused, "rows": shown, "more": more}
            self.message_user(request, refused, messages.WARNING)
        return HttpResponseRedirect(changelist)

    @staticmethod
    def _editable_stores(request):
        return None if request.user.is_superuser else list(stores_visible_to(request.user))

    def _render(self, request, page: str, *, status: int = 200, **context):
        context = self.admin_site.each_context(request) | {
            "title": gettext("Import catalog")
            if page == "import"
            else gettext("Import catalog: preview"),
            "opts": self.opts,
            **context,
        }
        return TemplateResponse(
            request, f"admin/kiosk/product/import_{page}.html", context, status=status
        )


def _keep(upload) -> Path:
    """Write the upload to the private folder under a random name."""
    kept = upload_dir() / f"{secrets.token_urlsafe(18)}.upload"
    descriptor = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return kept


def _sweep() -> None:
    """Delete uploads previewed and never confirmed (older than a token lives)."""
    cutoff = time.time() - TOKEN_MAX_AGE
    for left in upload_dir().glob("*.upload"):
        try:
            if left.stat().st_mtime < cutoff:
                left.unlink()
        except OSError:
            continue
