"""End-to-end browser tests: Playwright for Python driving Debian's Chromium (/usr/bin/chromium,
installed by ``make test-e2e``; no browser is downloaded) against pytest-django's live_server.
A failing test leaves a screenshot and the page's HTML under ``test-artifacts/``."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # (factories, assertions) are still plain synchronous code. Only set for browser tests.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test-e2e`, which installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(locale="es-AR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.html").write_text(page.content())
    context.close()


def login(page, username: str, password: str | None = None) -> None:
    """Sign in through the login form, as a person would; a ministry user then types the code
    their authenticator shows (computed here from the device's key)."""
    from tests.factories import PASSWORD

    page.goto(page.base_url + "/ingresar/")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(password or PASSWORD)
    device = authenticator(username)
    page.get_by_role("button", name="Ingresar").click()
    if device is not None:
        enter_code(page, device)
    page.wait_for_url(page.base_url + "/")


def authenticator(username: str):
    """The TOTP device of ``username`` if their role needs a second factor (created confirmed,
    as if they had enrolled), else None."""
    from django.contrib.auth import get_user_model

    from provinces.twofactor import needs_two_factor
    from tests.twofactor import totp_device

    user = get_user_model().objects.filter(username=username).first()
    if user is None or not needs_two_factor(user):
        return None
    return totp_device(user)


def enter_code(page, device) -> None:
    """On the verification page, type the code the authenticator shows now."""
    from tests.twofactor import current_code

    page.wait_for_url(re.compile(r".*/dos-pasos/verificar/.*"))
    device.refresh_from_db()
    page.get_by_label("Código").fill(current_code(device))
    page.get_by_role("button", name="Verificar").click()


def menu(page, name: str, *, navigation: str = "Navegación principal"):
    """The menu entry ``name``, its group opened first as a person would (a click on its name)."""
    nav = page.get_by_role("navigation", name=navigation)
    link = nav.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        nav.locator("details.menu-group", has=page.locator(f"a:text-is({name!r})")).locator("summary").click()
    return link
