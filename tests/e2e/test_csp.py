"""The Content-Security-Policy holds in the browser: the main pages of every role, the API's
Swagger UI and Redoc, and the admin's login raise no CSP violation, and the charts still draw."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.e2e.test_browser import NAVIGATION, programme  # noqa: F401 - the fixture, shared

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Every securitypolicyviolation event of the page, kept where the test can read it.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " @ " + e.sourceFile + ":" + e.lineNumber);
});
"""


def watch(page) -> list[str]:
    """Listen for violations on every document the page loads; console reports are kept too."""
    console: list[str] = []
    page.add_init_script(LISTEN)
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    return console


def violations(page, console: list[str]) -> list[str]:
    return [*page.evaluate("window.__csp || []"), *console]


@pytest.mark.parametrize("username", list(NAVIGATION))
def test_each_roles_pages_raise_no_csp_violation_and_charts_draw(page, programme, username):  # noqa: F811
    console = watch(page)
    login(page, username)
    nav = page.get_by_role("navigation", name="Navegación principal")
    links = [a.get_attribute("href") for a in nav.get_by_role("link").all()]
    assert links
    seen = {}
    for href in links:
        page.goto(page.base_url + href)
        seen[href] = violations(page, console)
    assert not any(seen.values()), seen
    page.goto(page.base_url + "/tablero/")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('#enrollments_by_status canvas'))"
    )
    # The language selector still sends its form on change (its handler moved out of the HTML).
    page.get_by_label("Idioma").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert not violations(page, console)


def test_api_docs_render_under_the_policy(page, programme):  # noqa: F811
    console = watch(page)
    login(page, "uatre")
    page.goto(page.base_url + "/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Interzafra API")
    assert not violations(page, console)
    page.goto(page.base_url + "/api/v1/redoc/")
    expect(page.get_by_role("heading", name=re.compile("Interzafra API"), level=1)).to_be_visible(timeout=15_000)
    # Redoc's bundle shows its maker's logo from their CDN; the policy blocks it on purpose (no
    # network but this site's) and the page works without it. Anything else is a failure.
    assert not [v for v in violations(page, console) if "cdn.redoc.ly/redoc/logo-mini.svg" not in v]


def test_admin_login_and_lockout_pages_raise_no_csp_violation(page, programme):  # noqa: F811
    console = watch(page)
    page.goto(page.base_url + "/admin/login/")
    expect(page.locator("#id_username")).to_be_visible()
    assert not violations(page, console)
