"""Content-Security-Policy (django-csp): every page carries it, scripts come from this site's files
only, and no template of the project holds an inline script, style or event handler."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from provinces.roles import Role
from tests.factories import make_user
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_carry_a_strict_policy(client):
    for path in ("/ingresar/", "/admin/login/"):
        policy = directives(client.get(path))
        assert policy["default-src"] == ["'self'"] and policy["script-src"] == ["'self'"], path
        assert "'unsafe-inline'" not in policy["style-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    sign_in(client, make_user(Role.MINISTRY_REVIEWER))
    for path in ("/", "/tablero/", "/inscripciones/", "/pagos/totales/"):
        assert directives(client.get(path))["script-src"] == ["'self'"], path


def test_swagger_ui_needs_no_inline_script_and_its_style_has_the_nonce(client):
    sign_in(client, make_user(Role.MINISTRY_REVIEWER))
    page = client.get("/api/v1/docs/")
    policy = directives(page)
    assert policy["script-src"] == ["'self'"]
    nonce = re.search(r"'nonce-([^']+)'", " ".join(policy["style-src"])).group(1)
    html = page.content.decode()
    assert f'<style nonce="{nonce}">' in html and "fonts.googleapis" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # every script is a file
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def test_redoc_alone_allows_inline_styles_and_blob_workers_but_no_inline_script(client):
    sign_in(client, make_user(Role.MINISTRY_REVIEWER))
    page = client.get("/api/v1/redoc/")
    policy = directives(page)
    assert policy["script-src"] == ["'self'"] and "'unsafe-inline'" in policy["style-src"]
    assert "blob:" in policy["worker-src"]
    html = page.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and "fonts.googleapis" not in html


INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*application/json)|\son[a-z]+\s*=|\sstyle\s*=|<style(?![^>]*nonce)|javascript:",
    re.IGNORECASE,
)


def test_no_template_holds_inline_script_style_or_handler():
    templates = [
        p
        for p in ROOT.rglob("*.html")
        if not {".venv", "node_modules", "staticfiles", "test-artifacts"} & set(p.relative_to(ROOT).parts)
    ]
    assert len(templates) > 40
    offending = {
        str(p.relative_to(ROOT)): INLINE.findall(p.read_text())
        for p in templates
        if INLINE.search(p.read_text()) and p.relative_to(ROOT).as_posix() != "templates/drf_spectacular/redoc.html"
    }
    assert not offending, offending
