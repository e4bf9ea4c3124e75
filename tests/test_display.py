"""One way to show each thing: CUILs as NN-NNNNNNNN-N on every page, the page's language as
es-AR, dates typed and shown as dd/mm/aaaa."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Template

from provinces.display import format_cuil

ROOT = Path(__file__).resolve().parents[1]
# A template expression printing a CUIL: {{ worker.cuil }}, {{ i.cuil|default:"" }}…
PRINTED_CUIL = re.compile(r"\{\{\s*([\w.]*\bcuil)\s*(\|[^}]*)?\}\}")


def test_cuil_is_shown_with_dashes_and_other_values_as_they_are():
    assert format_cuil("20222758220") == "20-22275822-0"
    assert format_cuil(20222758220) == "20-22275822-0"
    assert format_cuil("20-22275822-0") == "20-22275822-0"
    assert format_cuil("2022275") == "2022275"  # part of one, as typed in a search
    assert format_cuil(None) == ""
    rendered = Template("{% load display %}{{ value|cuil }}").render(Context({"value": "27123456786"}))
    assert rendered == "27-12345678-6"


def test_no_template_prints_a_cuil_without_the_filter():
    raw = []
    for path in ROOT.rglob("*.html"):
        if ".venv" in path.parts or "templates" not in path.parts:
            continue
        text = path.read_text()
        for match in PRINTED_CUIL.finditer(text):
            before = text[max(0, match.start() - 7) : match.start()]
            if before.endswith('value="'):  # a form field keeps what the person typed
                continue
            bound = re.search(r"\bcuil=[\w.]*(cuil_display|\|cuil)", text)
            if match.group(1) == "cuil" and bound:  # {% blocktranslate with cuil=worker.cuil_display %}
                continue
            filters = match.group(2) or ""
            if "|cuil" not in filters and "|urlencode" not in filters:
                raw.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert raw == []


@pytest.mark.django_db
def test_pages_declare_their_language_as_a_bcp47_tag(client, settings):
    html = client.get("/ingresar/").content.decode()
    assert '<html lang="es-AR">' in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="en">' in client.get("/ingresar/").content.decode()
