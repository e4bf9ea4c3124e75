"""Starting the project: the demo logins printed by ``make run``, ``make test`` stopping the
embedded server it started, the superuser's home page and the site icon."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.urls import reverse

from config import embedded
from demo.data import DEMO_PASSWORD, USERS
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


def _run_script():
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_banner_lists_every_demo_user_and_the_port():
    banner = _run_script().banner("8123")
    assert "http://127.0.0.1:8123/" in banner
    assert DEMO_PASSWORD in banner
    for username, *_ in USERS:
        assert f"  {username} " in banner, username
    assert "misiones" in banner and "sor_mendoza" in banner
    assert "admin" in banner


def test_make_test_stops_the_embedded_server_it_started_and_keeps_one_already_running():
    pgdata = Path(tempfile.mkdtemp(prefix="iz-embedded-"))  # not under pytest's 0700 tmp folders
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"INTERZAFRA_PGDATA": str(pgdata)}
    start = [sys.executable, "-c", "from config import embedded; embedded.database_url()"]
    wrapped = [sys.executable, "-m", "config.embedded", "run", "--", *start]
    try:
        assert subprocess.run(wrapped, env=env, cwd=ROOT, check=False).returncode == 0
        assert not embedded.is_running(pgdata)  # started by the command, stopped after it

        subprocess.run(start, env=env, cwd=ROOT, check=True)  # already running (make run elsewhere)
        assert subprocess.run(wrapped, env=env, cwd=ROOT, check=False).returncode == 0
        assert embedded.is_running(pgdata)
    finally:
        embedded.stop(pgdata)
        shutil.rmtree(pgdata, ignore_errors=True)


def test_the_wrapped_command_exit_code_is_kept():
    env = dict(os.environ, DATABASE_URL="postgres://unused")  # nothing embedded to start or stop
    code = subprocess.run(
        [sys.executable, "-m", "config.embedded", "run", "--", sys.executable, "-c", "raise SystemExit(3)"],
        env=env,
        cwd=ROOT,
        check=False,
    ).returncode
    assert code == 3


@pytest.mark.django_db
def test_a_superuser_lands_on_a_page_that_leads_to_the_admin(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    page = client.get(reverse("home")).content.decode()
    assert 'href="/admin/"' in page
    assert "no tiene un rol asignado" not in page


@pytest.mark.django_db
def test_a_user_without_role_is_told_to_ask_for_one(client):
    client.force_login(UserFactory())
    page = client.get(reverse("home")).content.decode()
    assert "no tiene un rol asignado" in page
    assert 'href="/admin/"' not in page


@pytest.mark.django_db
def test_every_page_links_the_site_icon_and_favicon_ico_leads_to_it(client):
    assert finders.find("favicon.svg")
    page = client.get(reverse("login")).content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"


def test_the_wrapped_command_gets_the_test_settings_and_a_key_on_a_fresh_checkout(tmp_path):
    """On a fresh clone (no .env, no key in the environment) `make test` must reach pytest with
    the settings named in pyproject.toml: importing ``config`` sets DJANGO_SETTINGS_MODULE to the
    production settings in the wrapper, which the command must not inherit."""
    seen = tmp_path / "seen"
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    env["DATABASE_URL"] = "postgres://unused"
    probe = (
        f"import os, pathlib; pathlib.Path({str(seen)!r}).write_text(repr(os.environ.get('DJANGO_SETTINGS_MODULE')))"
    )
    subprocess.run(
        [sys.executable, "-m", "config.embedded", "run", "--", sys.executable, "-c", probe],
        env=env,
        cwd=ROOT,
        check=True,
    )
    assert seen.read_text() == "None"
    assert "DJANGO_SECRET_KEY=" in (ROOT / ".env").read_text()
