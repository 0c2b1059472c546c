"""The compiled translations the tests need, built when missing or older than their .po.

`make test` builds them with compilemessages (gettext's msgfmt) first; pytest run on its
own, on a clean clone, builds them here with polib, so that the Spanish tests never read
English because a .mo file was not there (.mo files are not committed).
"""

from pathlib import Path

import polib
from asgiref.local import Local
from django.conf import settings


def messages_compile_if_stale() -> list[Path]:
    """Compile every locale/*/LC_MESSAGES/*.po whose .mo is missing or older; the .mo
    files written."""
    written = []
    for locale_path in settings.LOCALE_PATHS:
        for po_path in sorted(Path(locale_path).glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            written.append(mo_path)
    if written:
        _forget_loaded_translations()
    return written


def _forget_loaded_translations() -> None:
    """As Django's tests do when LOCALE_PATHS changes: the next gettext reads the files."""
    from django.utils.translation import trans_real

    trans_real._translations = {}
    trans_real._default = None
    trans_real._active = Local()
    trans_real.translation_catalog_exists.cache_clear()
