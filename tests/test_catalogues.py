"""The translation catalogues keep up with the code.

Every string the code marks for translation has an English translation in locale/en that is
neither missing nor fuzzy and keeps the Spanish placeholders; locale/es_AR only corrects
libraries' Spanish, so it holds no empty entries either (see `make messages`).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

LOCALE = Path(settings.BASE_DIR) / "locale"
ENGLISH = LOCALE / "en" / "LC_MESSAGES" / "django.po"
SPANISH = LOCALE / "es_AR" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")
KEYWORD = re.compile(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


def read_po(path: Path) -> list[Entry]:
    """The entries of a PO file (header included, msgid ""), with their flags."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    current = Entry()
    key: str | None = None

    def close() -> None:
        nonlocal current, fields, key
        if "msgid" in fields:
            current.msgid = fields["msgid"]
            current.msgid_plural = fields.get("msgid_plural")
            current.msgstrs = [value for name, value in sorted(fields.items()) if name.startswith("msgstr")]
            entries.append(current)
        current, fields, key = Entry(), {}, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            continue
        match = KEYWORD.match(line)
        starts_entry = line.startswith("#") or (match is not None and match.group(1) in ("msgctxt", "msgid"))
        if starts_entry and key is not None and key.startswith("msgstr"):
            close()
        if line.startswith("#,"):
            current.flags.update(flag.strip() for flag in line[2:].split(","))
        elif match is not None:
            key = match.group(1)
            fields[key] = ast.literal_eval(match.group(2))
            current.obsolete = current.obsolete or obsolete
        elif line.startswith('"') and key is not None:
            fields[key] += ast.literal_eval(line)
    close()
    return entries


def untranslated(entries: list[Entry]) -> list[str]:
    return [
        e.msgid
        for e in entries
        if e.msgid and not e.obsolete and ("fuzzy" in e.flags or not e.msgstrs or not all(e.msgstrs))
    ]


@pytest.mark.parametrize("path", [ENGLISH, SPANISH], ids=["en", "es_AR"])
def test_each_catalogue_entry_is_translated_and_none_is_fuzzy_or_obsolete(path):
    entries = read_po(path)
    header = entries[0]
    assert header.msgid == "" and "fuzzy" not in header.flags
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstrs[0]
    if path == SPANISH:
        assert untranslated(entries) == [], (
            "es_AR only corrects libraries' Spanish: the project's strings need no entry"
        )
    else:
        assert untranslated(entries) == [], "translate these in locale/en (make messages lists them)"
    assert [e.msgid for e in entries if e.obsolete] == [], "drop obsolete (#~) entries"
    for e in entries:
        if e.msgid_plural is not None:
            assert len(e.msgstrs) == 2, e.msgid


def test_english_translations_keep_the_spanish_placeholders():
    wrong = []
    for e in read_po(ENGLISH)[1:]:
        if e.msgid_plural is None:
            if set(PLACEHOLDER.findall(e.msgstrs[0])) != set(PLACEHOLDER.findall(e.msgid)):
                wrong.append(e.msgid)
            continue
        plural = set(PLACEHOLDER.findall(e.msgid_plural))
        singular = set(PLACEHOLDER.findall(e.msgid)) | plural
        one, many = (set(PLACEHOLDER.findall(text)) for text in e.msgstrs)
        if not one <= singular or many != plural:
            wrong.append(e.msgid)
    assert wrong == []


def _copy_sources(source: Path, target: Path) -> None:
    """What makemessages reads (Python, HTML and text files) and the English catalogue."""
    skip = {".venv", ".git", "node_modules", "benchmarks", "static", "staticfiles", "media", "__pycache__"}
    for directory, subdirectories, files in os.walk(source):
        subdirectories[:] = [d for d in subdirectories if d not in skip and not d.startswith(".")]
        relative = Path(directory).relative_to(source)
        for name in files:
            if name.endswith((".py", ".html", ".txt")) or relative.parts[:1] == ("locale",):
                (target / relative).mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(directory) / name, target / relative / name)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="makemessages needs GNU gettext")
def test_every_string_the_code_marks_for_translation_has_its_english(tmp_path, monkeypatch):
    """`make messages` on a copy: no string marked in the code lands untranslated or fuzzy."""
    _copy_sources(Path(settings.BASE_DIR), tmp_path)
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command("makemessages", locale=["en"], ignore_patterns=["benchmarks"], verbosity=0)
    missing = untranslated(read_po(tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    assert missing == [], "run make messages and translate these in locale/en"
