"""The officers' daily work in the browser, beyond the lists of ``test_lists``: the batch page
shows its lines when the build ends without a reload, the claims and survey lists find by CUIL
and export what is filtered, and the dashboard's chart labels never overlap, at 1,366 px and on
a 390 px phone where the dashboard does not scroll sideways."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from provinces.models import Cycle
from tests.e2e.conftest import login, menu
from tests.e2e.test_browser import approved_beneficiaries, programme  # noqa: F401 - the browser tests' world
from tests.e2e.test_voice import no_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(programme):  # noqa: F811 - the fixture imported above
    return programme


def test_the_batch_page_shows_its_lines_when_the_build_ends_without_reloading(page, world, monkeypatch):
    from payments import tasks
    from payments.models import PaymentBatch

    # The build waits for a worker (queued, not run at once) until this test runs it below.
    monkeypatch.setattr(tasks.build_batch_task, "delay", lambda *args, **kwargs: None)
    cycle = Cycle.objects.get(name="Zafra Tucumán")
    beneficiaries = approved_beneficiaries(cycle, world["gonzalez"].registered_by, 3)
    login(page, "pagos")
    menu(page, "Pagos").click()
    page.get_by_label(re.compile(r"^Mes:?$")).fill("2026-06")
    page.get_by_role("button", name="Armar el lote del mes").click()
    progress = page.locator("#batch-progress")
    expect(progress).to_contain_text("Estado: En armado")
    lines = page.locator("#batch-lines tbody")
    expect(lines).to_contain_text("Sin transferencias.")
    page.evaluate("window.notReloaded = true")

    batch = PaymentBatch.objects.get()
    tasks.build_batch_task(batch.pk)  # what the Celery worker runs

    expect(progress).to_contain_text(re.compile(r"Estado: Armado\b"), timeout=20_000)
    expect(lines.locator("tr")).to_have_count(3)
    for enrollment in beneficiaries:
        expect(lines).to_contain_text(enrollment.worker.cuil_display)
    expect(progress.locator("dt:text-is('Transferencias') + dd")).to_have_text("3")
    expect(page.get_by_text("Usted armó este lote: lo aprueba otro oficial de pagos (segunda firma).")).to_be_visible()
    assert page.evaluate("window.notReloaded === true"), "the page was reloaded"
    expect(progress).not_to_have_attribute("hx-trigger", re.compile(".+"))
    no_axe_violations(page)


def read_download(page, link) -> list[list[str]]:
    with page.expect_download() as download:
        link.click()
    with open(download.value.path(), encoding="utf-8-sig") as handle:
        text = handle.read()
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_claims_are_found_by_cuil_and_exported_as_filtered(page, world):
    from claims import services
    from tests.factories import EnrollmentFactory, OrganisationFactory, WorkerFactory

    gonzalez = world["gonzalez"]
    services.file_claim(by=None, worker=gonzalez, subject="data_correction", description="Mi apellido lleva tilde")
    vendimia = Cycle.objects.get(name="Vendimia")
    mendoza = vendimia.agreement.province
    quiroga = WorkerFactory(province=mendoza, registered_by=OrganisationFactory(province=mendoza))
    EnrollmentFactory(worker=quiroga, cycle=vendimia, organisation=quiroga.registered_by)
    services.file_claim(by=None, worker=quiroga, subject="data_correction", description="DNI mal")
    other = EnrollmentFactory(
        cycle=Cycle.objects.get(name="Zafra Tucumán"), worker__registered_by=gonzalez.registered_by
    )
    services.file_claim(by=None, worker=other.worker, subject="data_correction", description="Domicilio")

    login(page, "tucuman")
    menu(page, "Reclamos").click()
    expect(page.locator("p.count")).to_have_text("2 reclamos")  # Mendoza's is not hers
    page.get_by_label(re.compile(r"^CUIL:?$")).fill(gonzalez.cuil_display)
    page.get_by_role("button", name="Filtrar").click()
    expect(page.locator("p.count")).to_have_text("1 reclamo")
    expect(page.locator("main table")).to_contain_text("González, María Inés")
    rows = read_download(page, page.get_by_role("link", name="CSV", exact=True))
    assert [row[1] for row in rows[1:]] == [gonzalez.cuil_display]
    no_axe_violations(page)


def test_survey_lists_are_filtered_by_state_and_exported(page, world):
    from enrollment.models import ImportJob
    from provinces.roles import Role
    from tests.factories import make_user

    office = world["gonzalez"].registered_by
    cycle = Cycle.objects.get(name="Zafra Tucumán")
    officer = make_user(Role.PROVINCIAL_OFFICER, office)
    for name, status in (("cosecha-norte.csv", "done"), ("cosecha-sur.csv", "failed")):
        ImportJob.objects.create(
            file=f"padrones/{name}",
            original_name=name,
            file_format="csv",
            sha256=name.ljust(64, "0")[:64],
            uploaded_by=officer,
            organisation=office,
            cycle=cycle,
            status=status,
        )
    login(page, "revisora")
    menu(page, "Padrones").click()
    expect(page.locator("p.count")).to_have_text("2 padrones")
    page.get_by_label("Con error").check()
    page.get_by_role("button", name="Filtrar").click()
    expect(page.locator("p.count")).to_have_text("1 padrón")
    rows = read_download(page, page.get_by_role("link", name="CSV", exact=True))
    assert [row[1] for row in rows[1:]] == ["cosecha-sur.csv"]
    no_axe_violations(page)


#: The boxes of every chart's axis labels, as drawn by Chart.js on each canvas (page pixels),
#: one list per axis: text width measured in the label's font, turned by its rotation.
LABEL_BOXES = """() => {
  const axes = [];
  document.querySelectorAll("figure[data-chart] canvas").forEach((canvas) => {
    const chart = Chart.getChart(canvas);
    if (!chart) return;
    const ctx = chart.ctx;
    for (const scale of Object.values(chart.scales)) {
      const boxes = [];
      for (const item of scale.getLabelItems()) {
        const o = item.options;
        const lines = Array.isArray(item.label) ? item.label : [item.label];
        ctx.save();
        ctx.font = item.font.string;
        const w = Math.max(...lines.map((l) => ctx.measureText(String(l)).width));
        ctx.restore();
        const lh = item.font.lineHeight, h = lh * lines.length;
        const x0 = o.textAlign === "right" ? -w : o.textAlign === "center" ? -w / 2 : 0;
        const top = item.textOffset + (o.textBaseline === "middle" ? -lh / 2 : o.textBaseline === "bottom" ? -lh : 0);
        const cos = Math.cos(o.rotation || 0), sin = Math.sin(o.rotation || 0);
        const corners = [[x0, top], [x0 + w, top], [x0, top + h], [x0 + w, top + h]].map(([x, y]) => [
          o.translation[0] + x * cos - y * sin, o.translation[1] + x * sin + y * cos,
        ]);
        const xs = corners.map((c) => c[0]), ys = corners.map((c) => c[1]);
        boxes.push({label: lines.join(" "), left: Math.min(...xs), right: Math.max(...xs),
                    top: Math.min(...ys), bottom: Math.max(...ys), rotated: !!o.rotation});
      }
      axes.push({chart: canvas.getAttribute("aria-label"), axis: scale.id, boxes});
    }
  });
  return axes;
}"""


def overlapping_labels(page) -> list[str]:
    found = []
    axes = page.evaluate(LABEL_BOXES)
    assert axes, "no chart drawn"
    for axis in axes:
        boxes = axis["boxes"]
        for i, a in enumerate(boxes):
            if a["rotated"]:
                found.append(f"{axis['chart']} ({axis['axis']}): {a['label']!r} turned")
            for b in boxes[i + 1 :]:
                apart = (
                    a["right"] <= b["left"]
                    or b["right"] <= a["left"]
                    or a["bottom"] <= b["top"]
                    or b["bottom"] <= a["top"]
                )
                if not apart:
                    found.append(f"{axis['chart']} ({axis['axis']}): {a['label']!r} over {b['label']!r}")
    return found


WIDER = """(width) => [...document.querySelectorAll("body *")]
  .filter((el) => el.getBoundingClientRect().right > width + 0.5)
  .slice(0, 8)
  .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${Math.round(el.getBoundingClientRect().right)}`)"""


def wider_than(page, width: int) -> list[str]:
    """The first elements that reach past the screen's right edge."""
    return page.evaluate(WIDER, width)


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_dashboard_chart_labels_do_not_overlap_and_the_page_fits(browser, live_server, world, width, height):
    from claims import services

    cycle = Cycle.objects.get(name="Zafra Tucumán")
    approved_beneficiaries(cycle, world["gonzalez"].registered_by, 2)
    services.file_claim(by=None, worker=world["gonzalez"], subject="data_correction", description="Tilde")
    context = browser.new_context(locale="es-AR", viewport={"width": width, "height": height}, is_mobile=width < 500)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    for username in ("revisora", "tucuman"):
        login(page, username)
        page.goto(live_server.url + "/tablero/")
        expect(page.locator("figure[data-chart] canvas[data-drawn]").first).to_be_attached()
        page.wait_for_function(
            "() => [...document.querySelectorAll('figure[data-chart] canvas')].every(c => Chart.getChart(c))"
        )
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width, (username, wider_than(page, width))
        assert overlapping_labels(page) == [], username
        page.get_by_role("button", name="Salir").click()
    context.close()


def todays_work(world):
    """Something of each kind waiting: an enrollment to review, an open claim, a survey list
    that failed, a batch built and waiting for its second signature."""
    from django.test import TestCase

    from claims import services
    from enrollment.models import Enrollment, ImportJob
    from payments import batches
    from provinces.roles import Role
    from tests.factories import EnrollmentFactory, make_user

    cycle = Cycle.objects.get(name="Zafra Tucumán")
    office = world["gonzalez"].registered_by
    approved_beneficiaries(cycle, office, 1)
    EnrollmentFactory(cycle=cycle, worker__registered_by=office, status=Enrollment.Status.PENDING_REVIEW)
    services.file_claim(by=None, worker=world["gonzalez"], subject="data_correction", description="Tilde")
    ImportJob.objects.create(
        file="padrones/roto.csv",
        original_name="roto.csv",
        file_format="csv",
        sha256="f" * 64,
        uploaded_by=make_user(Role.PROVINCIAL_OFFICER, office),
        organisation=office,
        cycle=cycle,
        status=ImportJob.Status.FAILED,
    )
    builder = make_user(Role.PAYMENTS_OFFICER)
    with TestCase.captureOnCommitCallbacks(execute=True):
        batches.request_batch(month=__import__("datetime").date(2026, 6, 1), by=builder)


#: Tasks each role's home page must list (with their counts), by the id of their entry.
HOME_TASKS = {
    "revisora": {"pending_review", "open_claims", "failed_imports"},
    "pagos": {"batches_to_approve", "open_claims"},
    "auditora": {"batches_to_approve", "failed_imports"},
    "tucuman": {"pending_review", "open_claims", "failed_imports"},
}


def test_each_roles_home_lists_todays_work_and_each_count_opens_a_list_of_that_many(page, world):
    todays_work(world)
    for username, expected in HOME_TASKS.items():
        login(page, username)
        expect(page.get_by_role("heading", name="Trabajo de hoy")).to_be_visible()
        entries = page.locator("ul.today li")
        tasks = {
            entry.get_attribute("id").removeprefix("task-"): (
                int(entry.get_attribute("data-count")),
                entry.locator("a").get_attribute("href"),
                entry.inner_text(),
            )
            for entry in entries.all()
        }
        assert expected <= set(tasks), (username, tasks)
        for key in expected:
            count, href, text = tasks[key]
            assert count >= 1 and text.startswith(f"{count} "), (username, key, text)
            page.goto(page.base_url + href)
            shown = page.locator("p.count")
            if shown.count():
                expect(shown).to_have_attribute("data-count", str(count))
        page.goto(page.base_url + "/")
        page.get_by_role("button", name="Salir").click()


def _server_sorts_spanish() -> bool:
    """Whether the database's Spanish collation has a Spanish source (``provinces.collation``)."""
    from django.db import connection

    from provinces.collation import SPANISH

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 'Córdoba' < 'Corrientes' COLLATE {SPANISH}")
        return cursor.fetchone()[0]


def test_one_way_to_show_cuils_numbers_plurals_sorting_and_the_own_wording(page, world):
    from tests.factories import province

    todays_work(world)
    province("Córdoba"), province("Corrientes")
    login(page, "revisora")
    # one open claim: the plural agrees with the number
    expect(page.locator("#task-open_claims")).to_have_text("1 reclamo abierto")
    eleven_digits = re.compile(r"(?<![\d-])\d{11}(?![\d-])")
    for path in ("/trabajadores/", "/inscripciones/", "/revision/", "/reclamos/"):
        page.goto(page.base_url + path)
        text = "\n".join(page.locator("main table").all_inner_texts())
        assert not eleven_digits.search(text), (path, eleven_digits.search(text).group(0))
        assert re.search(r"\d\d-\d{8}-\d", text), path
    # provinces in alphabetical order as people read them: Córdoba before Corrientes. The ICU
    # collation needs a server built with ICU (production's); the embedded one sorts byte by
    # byte, and tests/provinces/test_collation.py checks the order on the system server.
    if _server_sorts_spanish():
        page.goto(page.base_url + "/inscripciones/")
        names = page.locator("select[name=province] option").all_inner_texts()
        assert names.index("Córdoba") < names.index("Corrientes"), names
    # numbers with es-AR separators: a quota of 1.000 on the dashboard
    page.goto(page.base_url + "/tablero/")
    expect(page.locator("table.quotas")).to_contain_text("1.000")
    page.get_by_role("button", name="Salir").click()

    login(page, "tucuman")
    # each language in its own name
    languages = page.get_by_label("Idioma").locator("option").all_inner_texts()
    assert "English" in languages and not any("inglés" in name.lower() for name in languages)
    # an empty file is "vacío" (the library's own wording was wrong)
    page.goto(page.base_url + "/padrones/subir/")
    form = page.locator("main form").first
    if form.locator("select").count():
        form.locator("select").first.select_option(index=1)
    form.locator("input[type=file]").set_input_files(
        files=[{"name": "vacio.csv", "mimeType": "text/csv", "buffer": b""}]
    )
    form.locator("button[type=submit]").last.click()
    expect(page.locator("main")).to_contain_text("El archivo enviado está vacío.")
    expect(page.locator("main")).not_to_contain_text("vació")
