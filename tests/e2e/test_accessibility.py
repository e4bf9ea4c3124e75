"""Accessibility (Ley 26.653: public-sector sites meet WCAG), phones and keyboards.

- axe-core finds no serious or critical violation on any page a demo role can reach: every menu
  entry and one page of each kind of detail linked from them, for every role, on the demo's data,
  and the lists no menu reaches or that show a filter's error (``LIST_PAGES``);
  the same crawl writes the README's screenshots (docs/screens/) so they follow today's pages.
- Registration, the public status page, the home page and the dashboard fit a 390 px screen.
- Registration and a review decision work with the keyboard alone.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from enrollment.models import Enrollment
from tests.e2e.conftest import login
from tests.e2e.test_browser import programme  # noqa: F401 - the fixture, shared
from tests.factories import EnrollmentFactory, make_cuil

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"

#: One demo user per role, and the pages of theirs the README shows (path → file name).
ROLES = {
    "tucuman": {"/": "provincial-inicio", "/inscribir/": "provincial-nueva-inscripcion"},
    "uatre": {"/": "sindicato-inicio", "/padrones/": "sindicato-padrones"},
    "revisora": {"/": "revisora-inicio", "/revision/": "revisora-cola-de-revision", "/tablero/": "revisora-tablero"},
    "pagos": {"/": "pagos-inicio", "/pagos/lotes/": "pagos-lotes"},
    "auditora": {"/": "auditora-inicio", "/auditoria/": "auditora-auditoria"},
    "accesos": {"/": "accesos-inicio", "/accesos/": "accesos-personas"},
}

#: Lists reached from no menu, and lists showing a filter the form refuses (its error next to
#: the field): checked like the menu's pages.
LIST_PAGES = {
    "tucuman": [
        "/capacitacion/derivaciones/?cuil=abc",
        "/capacitacion/cursos/?since=31/12/2026&until=01/01/2026",
    ],
    "revisora": [
        "/capacitacion/derivaciones/",
        "/avisos/?cuil=abc&since=05/12/2026&until=01/01/2026",
        "/control/corridas/?month=junio",
        "/api-tokens/?state=active",
    ],
    "auditora": ["/consultas-api/?channel=public&since=01/01/2026"],
}

#: Links that download a file, leave the site's pages or act: not pages to check.
NOT_A_PAGE = re.compile(r"descargar|exportar|export|\.csv|\.xlsx|\.pdf|archivo|/salir/|/admin/|^/api/|/i18n/")


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


def detail_links(page) -> list[str]:
    """The page's links to a record (a path with an id), one per kind of page."""
    hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
    kinds: dict[str, str] = {}
    for href in hrefs:
        path = urlsplit(href).path
        if not path.startswith("/") or NOT_A_PAGE.search(href) or not re.search(r"/\d+/", path):
            continue
        kinds.setdefault(re.sub(r"\d+", "N", path), path)
    return list(kinds.values())


@pytest.fixture
def demo(settings, tmp_path):
    from demo import seed

    settings.MEDIA_ROOT = tmp_path / "media"
    seed.seed()


def test_every_page_of_every_demo_role_has_no_serious_accessibility_violation(browser, live_server, demo):
    from demo.data import DEMO_PASSWORD

    SCREENS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}
    checked = 0
    for username, screens in ROLES.items():
        context = browser.new_context(locale="es-AR", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(30_000)
        page = context.new_page()
        page.base_url = live_server.url
        login(page, username, DEMO_PASSWORD)
        menu = page.eval_on_selector_all(
            "nav[aria-label='Navegación principal'] a[href]", "links => links.map(a => a.getAttribute('href'))"
        )
        assert len(menu) > 1, username
        pages = [href for href in dict.fromkeys(menu) if not NOT_A_PAGE.search(href)]
        seen_kinds: set[str] = set()
        queue = [*pages, *LIST_PAGES.get(username, [])]
        while queue:
            path = queue.pop(0)
            response = page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            key = f"{username} {path}"
            if response is None or response.status >= 400:
                problems[key] = [f"HTTP {response.status if response else '—'}"]
                continue
            found = serious_violations(page)
            checked += 1
            if found:
                problems[key] = found
            if path in screens:
                page.screenshot(path=str(SCREENS / f"{screens[path]}.png"))
            if path in pages:  # a menu page: open one record of each kind it links to
                for link in detail_links(page):
                    kind = re.sub(r"\d+", "N", link)
                    if kind not in seen_kinds and link not in pages:
                        seen_kinds.add(kind)
                        queue.append(link)
        context.close()
    assert checked > 60
    assert problems == {}
    assert {p.stem for p in SCREENS.glob("*.png")} >= {name for screens in ROLES.values() for name in screens.values()}


def fits_390(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= 390")


def test_registration_status_page_and_home_fit_a_390_px_phone(browser, live_server, programme):  # noqa: F811
    context = browser.new_context(locale="es-AR", viewport={"width": 390, "height": 844}, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    page.goto(live_server.url + "/consulta/")
    assert fits_390(page), "public status page"
    login(page, "tucuman")
    assert fits_390(page), "home page"
    # The menu opens in the page's flow on a phone, and still fits.
    page.get_by_role("navigation", name="Navegación principal").get_by_text("Inscripción", exact=True).click()
    assert fits_390(page), "home page, menu open"
    page.goto(live_server.url + "/inscribir/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert fits_390(page), "registration"
    page.get_by_role("button", name="Registrar e inscribir").click()  # errors shown next to fields
    assert fits_390(page), "registration with errors"
    page.goto(live_server.url + "/tablero/")
    expect(page.locator("figure[data-chart] canvas[data-drawn]").first).to_be_attached()
    assert fits_390(page), "dashboard"
    for username in ("revisora", "pagos"):
        page.get_by_role("button", name="Salir").click()
        login(page, username)
        assert fits_390(page), f"home page of {username}"
    context.close()


FOCUSED = """([selector, text]) => {
  const el = document.activeElement;
  return !!el && el.matches(selector) && (text === null || el.textContent.trim() === text);
}"""


def tab_to(page, selector: str, *, text: str | None = None, limit: int = 60) -> None:
    """Press Tab until the element matching ``selector`` (and reading ``text``) has the focus,
    as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED, [selector, text]):
            return
    raise AssertionError(f"Tab never reached {selector} {text or ''}")


def test_an_officer_registers_a_worker_with_the_keyboard_only(page, programme):  # noqa: F811
    login(page, "tucuman")
    # The menu: Tab to the group, Enter opens it, Tab to the entry, Enter follows it.
    tab_to(page, "summary")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Inscripción"
    page.keyboard.press("Enter")
    tab_to(page, "a[href='/inscribir/']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Registrar e inscribir")
    cuil = make_cuil(33_444_555, "27")
    typed = {
        "cuil": cuil,
        "last_name": "Arias",
        "first_name": "Nilda",
        "birth_date": "14/02/1990",
        "locality": "Famaillá",
    }
    # The only open period and the only province of the office come chosen; sex: the first choice.
    tab_to(page, "[name=cycle]")
    expect(page.locator("[name=cycle]")).not_to_have_value("")
    for name, value in typed.items():
        tab_to(page, f"[name={name}]")
        page.keyboard.type(value)
    expect(page.locator("[name=province]")).not_to_have_value("")
    tab_to(page, "button[type=submit]:not(.link)")
    page.keyboard.press("Enter")
    expect(page.get_by_text("quedó inscripto/a en Zafra Tucumán")).to_be_visible()
    enrollment = Enrollment.objects.get(worker__cuil=cuil)
    assert (enrollment.worker.last_name, enrollment.worker.birth_date.isoformat()) == ("Arias", "1990-02-14")


def test_a_reviewer_decides_an_enrollment_with_the_keyboard_only(page, programme):  # noqa: F811
    pending = EnrollmentFactory(
        cycle=Enrollment.objects.filter(cycle__name="Zafra Tucumán").first().cycle,
        worker__last_name="Villalba",
        worker__first_name="Rosa",
        worker__registered_by=programme["gonzalez"].registered_by,
        status=Enrollment.Status.PENDING_REVIEW,
    )
    login(page, "revisora")
    tab_to(page, "summary", text="Revisión")
    page.keyboard.press("Enter")
    tab_to(page, "a[href='/revision/']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    tab_to(page, f"main a[href='/inscripciones/{pending.pk}/']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Villalba")
    tab_to(page, "[name=action]")
    page.keyboard.type("Aprobar")
    tab_to(page, "[name=reason]")
    page.keyboard.type("Cumple los requisitos")
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    pending.refresh_from_db()
    assert pending.status == Enrollment.Status.APPROVED
