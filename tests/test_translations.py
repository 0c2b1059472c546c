"""CI's check of the translations: every string marked in the code is in each .po file,
translated, not fuzzy, with the same placeholders as its English (docs/languages.md)."""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
# What makemessages reads: the portal's code and templates (never the sandbox or the tests).
SOURCES = ["manage.py", "claims_portal", "kiosk", "templates"]
MAKEMESSAGES_IGNORE = [".venv", "node_modules", "staticfiles", "sandbox", "tests", "bench"]
# %(name)s, %(count)d, a bare %s, and {name} as str.format writes it.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfi]|%[sdfi]|\{\w*\}")


def po_files() -> list[Path]:
    files = sorted(BASE_DIR.glob("locale/*/LC_MESSAGES/django.po"))
    assert files, "no locale/*/LC_MESSAGES/django.po"
    return files


def entry_name(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid


def marked_strings(language: str, tmp_path: Path) -> dict[str, polib.POEntry]:
    """The strings makemessages finds in the code now, run on a copy of the sources so that
    the committed .po files are left as they are."""
    if not shutil.which("xgettext"):
        pytest.fail("gettext's xgettext is missing: `make messages` installs Debian's gettext.")
    copy = tmp_path / "sources"
    copy.mkdir()
    for source in SOURCES:
        if (BASE_DIR / source).is_dir():
            shutil.copytree(
                BASE_DIR / source, copy / source, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(BASE_DIR / source, copy / source)
    (copy / "locale").mkdir()
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "claims_portal.settings_test"}
    command = [sys.executable, "manage.py", "makemessages", "-l", language, "--no-location"]
    command += [f"--ignore={pattern}" for pattern in MAKEMESSAGES_IGNORE]
    subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True, timeout=120)
    found = polib.pofile(str(copy / "locale" / language / "LC_MESSAGES" / "django.po"))
    return {entry_name(entry): entry for entry in found if not entry.obsolete}


@pytest.mark.parametrize("po_path", po_files(), ids=lambda path: path.parts[-3])
def test_every_marked_string_is_in_the_po_file_and_nothing_else(po_path, tmp_path):
    language = po_path.parts[-3]
    committed = {entry_name(e) for e in polib.pofile(str(po_path)) if not e.obsolete}

    marked = marked_strings(language, tmp_path)

    missing = sorted(set(marked) - committed)
    unused = sorted(committed - set(marked))
    assert not missing, (
        f"Marked in the code but not in {po_path.relative_to(BASE_DIR)} (run makemessages, "
        f"then translate them, see docs/languages.md): {missing}"
    )
    assert not unused, f"In {po_path.relative_to(BASE_DIR)} but no longer in the code: {unused}"


@pytest.mark.parametrize("po_path", po_files(), ids=lambda path: path.parts[-3])
def test_every_string_is_translated_and_none_is_fuzzy(po_path):
    entries = [e for e in polib.pofile(str(po_path)) if not e.obsolete]

    empty = [
        e.msgid
        for e in entries
        if (not e.msgid_plural and not e.msgstr)
        or (e.msgid_plural and not all(e.msgstr_plural.values()))
    ]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert not empty, f"Not translated in {po_path.relative_to(BASE_DIR)}: {empty}"
    assert not fuzzy, f"Fuzzy (to be checked) in {po_path.relative_to(BASE_DIR)}: {fuzzy}"


@pytest.mark.parametrize("po_path", po_files(), ids=lambda path: path.parts[-3])
def test_each_translation_has_its_englishs_placeholders(po_path):
    wrong = []
    for entry in polib.pofile(str(po_path)):
        if entry.obsolete:
            continue
        pairs = [(entry.msgid, entry.msgstr)]
        if entry.msgid_plural:
            plural = sorted(entry.msgstr_plural.items())
            pairs = [(entry.msgid if n == 0 else entry.msgid_plural, text) for n, text in plural]
        for english, translated in pairs:
            if translated and Counter(PLACEHOLDER.findall(english)) != Counter(
                PLACEHOLDER.findall(translated)
            ):
                wrong.append((english, translated))
    assert not wrong, f"Placeholders differ in {po_path.relative_to(BASE_DIR)}: {wrong}"


@pytest.mark.parametrize("po_path", po_files(), ids=lambda path: path.parts[-3])
def test_the_po_file_compiles(po_path, tmp_path):
    """msgfmt's own checks: the header, plural forms and python-format strings."""
    if not shutil.which("msgfmt"):
        pytest.fail("gettext's msgfmt is missing: `make messages` installs Debian's gettext.")
    checked = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(po_path)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


def test_the_placeholder_check_sees_a_changed_name():
    assert Counter(PLACEHOLDER.findall("Claim %(reference)s")) != Counter(
        PLACEHOLDER.findall("Reclamo %(referencia)s")
    )
    assert PLACEHOLDER.findall("{count} of %(most)d and %s") == ["{count}", "%(most)d", "%s"]
