"""Lists longer than a page, in the browser: the filters narrow the total, the pages keep the
filters going forward and back, and the export carries them; the audit page in human words
(model and field labels, user names, local time, old → new values) found by what, who and
when, paged and exported; the flag page with dates dd/mm/aaaa and CUILs NN-NNNNNNNN-N only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlparse

import pghistory
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from enrollment.models import Enrollment
from provinces.models import Agreement, Cycle
from provinces.roles import Role
from tests.e2e.conftest import login
from tests.e2e.test_browser import approved_beneficiaries, flagged_enrollment, programme  # noqa: F401 - the browser tests' world
from tests.e2e.test_voice import no_axe_violations
from tests.factories import AgreementFactory, CycleFactory, EnrollmentFactory, make_cuil, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

#: rows of a list page (provinces.listing.render_list)
PAGE = 50
ISO_DATE = re.compile(r"(?<![\d/-])\d{4}-\d\d(-\d\d)?(?![\d-])")
ELEVEN_DIGITS = re.compile(r"(?<![\d-])\d{11}(?![\d-])")


@pytest.fixture
def world(programme):  # noqa: F811 - the fixture imported above
    return programme


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def read_csv(download) -> list[list[str]]:
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        text = handle.read()
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;")
    return list(csv.reader(io.StringIO(text), dialect))


def test_a_filtered_list_longer_than_a_page_keeps_its_filters_across_pages_and_in_its_export(page, world):
    cycle = CycleFactory(name="Limón Tucumán", agreement__number="CONV-LIM")
    pending = [
        EnrollmentFactory(
            cycle=cycle,
            status=Enrollment.Status.PENDING_REVIEW,
            worker__last_name=f"Paz{i:02d}",
            worker__first_name="Ana",
        )
        for i in range(PAGE + 7)
    ]
    # the same period in another state, and the same state in another period: filtered out
    EnrollmentFactory.create_batch(4, cycle=cycle, status=Enrollment.Status.SUBMITTED)
    EnrollmentFactory(cycle=Cycle.objects.get(name="Zafra Tucumán"), status=Enrollment.Status.PENDING_REVIEW)

    login(page, "revisora")
    page.goto(page.base_url + "/inscripciones/")
    page.get_by_label(re.compile(r"^Período:?$")).select_option(label=str(cycle))
    page.get_by_role("checkbox", name="Pendiente de revisión").check()
    page.get_by_role("button", name="Filtrar").click()
    count = page.locator("p.count")
    expect(count).to_have_attribute("data-count", str(len(pending)))
    expect(count).to_have_text(f"{len(pending)} inscripciones")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(PAGE)
    expect(page.locator("nav.pagination")).to_contain_text("Página 1 de 2")
    filtered = query_of(page.url)

    page.get_by_role("navigation", name="Páginas").get_by_role("link", name="Siguiente").click()
    expect(page.locator("nav.pagination")).to_contain_text("Página 2 de 2")
    expect(rows).to_have_count(len(pending) - PAGE)
    expect(page.locator("main table tbody")).to_contain_text(f"Paz{len(pending) - 1:02d}")
    expect(page.locator("main table tbody")).not_to_contain_text("Paz00")
    expect(count).to_have_attribute("data-count", str(len(pending)))
    assert {k: v for k, v in query_of(page.url).items() if k != "page"} == filtered
    # the form still shows the filters in use
    expect(page.get_by_role("checkbox", name="Pendiente de revisión")).to_be_checked()
    expect(page.get_by_label(re.compile(r"^Período:?$"))).to_have_value(str(cycle.pk))
    # the export of exactly what is filtered, every page of it
    export = page.get_by_role("link", name="CSV")
    href = query_of(export.get_attribute("href"))
    assert href.pop("exportar") == ["csv"] and "page" not in href
    assert href == filtered
    with page.expect_download() as download_info:
        export.click()
    exported = read_csv(download_info.value)
    assert len(exported) - 1 == len(pending)
    assert {row[0] for row in exported[1:]} == {e.worker.cuil_display for e in pending}

    page.get_by_role("navigation", name="Páginas").get_by_role("link", name="Anterior").click()
    expect(page.locator("nav.pagination")).to_contain_text("Página 1 de 2")
    expect(page.locator("main table tbody")).to_contain_text("Paz00")
    expect(rows).to_have_count(PAGE)
    assert {k: v for k, v in query_of(page.url).items() if k != "page"} == filtered
    expect(page.get_by_role("checkbox", name="Pendiente de revisión")).to_be_checked()
    no_axe_violations(page)


@pytest.fixture
def audited(world):
    """A reviewer's decision recorded under her name, and more agreements than a page holds."""
    reviewer = make_user(Role.MINISTRY_REVIEWER, username="rquiroga", first_name="Rosa", last_name="Quiroga")
    enrollment = EnrollmentFactory(
        cycle=Cycle.objects.get(name="Zafra Tucumán"),
        status=Enrollment.Status.PENDING_REVIEW,
        worker__last_name="Ledesma",
        worker__first_name="Ramón",
    )
    AgreementFactory.create_batch(PAGE + 5, title="Convenio de prueba")
    with pghistory.context(user=reviewer.pk, reason="cumple los requisitos"):
        Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.APPROVED)
    return {"reviewer": reviewer, "enrollment": enrollment}


def test_the_audit_page_reads_in_words_filters_by_what_who_and_when_pages_and_exports(page, audited):
    login(page, "auditora")
    page.goto(page.base_url + "/auditoria/")
    table = page.locator("table.audit")
    expect(table).not_to_contain_text(re.compile(r"\w+\.\w+ #\d+"))  # no "provinces.Organisation #2"
    expect(table).not_to_contain_text("pending_review")

    # who: by surname, in words, with the reason and the local time
    page.get_by_label(re.compile(r"^Quién:?$")).fill("quiroga")
    page.get_by_role("button", name="Filtrar").click()
    expect(page.locator("p.count")).to_have_attribute("data-count", "1")
    row = table.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Inscripción: ")
    expect(row).to_contain_text("Ledesma")
    expect(row).to_contain_text("Rosa Quiroga · cumple los requisitos")
    expect(row).to_contain_text("Estado: Pendiente de revisión → Aprobada")
    today = timezone.localdate().strftime("%d/%m/%Y")
    expect(row.locator("td").first).to_have_text(re.compile(rf"^{re.escape(today)} \d\d:\d\d$"))
    shown = row.locator("td").first.inner_text()
    local = timezone.localtime(timezone.now())
    at = dt.datetime.strptime(shown, "%d/%m/%Y %H:%M").replace(tzinfo=local.tzinfo)
    assert abs(local - at) < dt.timedelta(minutes=15), (shown, local)  # local time, not UTC

    # when: nothing from tomorrow on, typed dd/mm/aaaa whatever the browser's language
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    since = page.get_by_label(re.compile(r"^Desde el día:?$"))
    assert since.get_attribute("type") != "date"
    since.fill(tomorrow)
    page.get_by_role("button", name="Filtrar").click()
    expect(page.locator("p.count")).to_have_attribute("data-count", "0")
    expect(page.get_by_label(re.compile(r"^Desde el día:?$"))).to_have_value(tomorrow)

    # what: the agreements, more than a page of them, paged with the filter kept
    page.goto(page.base_url + "/auditoria/")
    page.get_by_label(re.compile(r"^Qué:?$")).select_option(label="Convenios")
    page.get_by_role("button", name="Filtrar").click()
    agreements = Agreement.objects.count()
    assert agreements > PAGE
    expect(page.locator("p.count")).to_have_attribute("data-count", str(agreements))
    expect(page.locator("p.count")).to_have_text(f"{agreements} cambios registrados")
    expect(table.locator("tbody tr")).to_have_count(PAGE)
    expect(table).not_to_contain_text("Inscripción: ")
    expect(table.locator("tbody tr").first).to_contain_text("Convenio: ")
    page.get_by_role("navigation", name="Páginas").get_by_role("link", name="Siguiente").click()
    expect(page.locator("nav.pagination")).to_contain_text("Página 2 de 2")
    expect(table.locator("tbody tr")).to_have_count(agreements - PAGE)
    expect(page.get_by_label(re.compile(r"^Qué:?$"))).to_have_value("agreement")
    expect(table).not_to_contain_text("Inscripción: ")
    no_axe_violations(page)

    # the export: every page of what is filtered, in the same words
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    rows = read_csv(download_info.value)
    assert rows[0][:4] == ["Cuándo", "Registro", "Qué", "Quién"]
    assert len(rows) - 1 == agreements
    assert all(row[1].startswith("Convenio: ") for row in rows[1:])
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", row[0]) for row in rows[1:])


def test_the_audit_page_names_an_installment_without_ids_and_keeps_its_labels_as_written(page, world):
    enrollment = approved_beneficiaries(Cycle.objects.get(name="Zafra Tucumán"), world["gonzalez"].registered_by, 1)[0]
    first = enrollment.installments.order_by("number").first()
    login(page, "auditora")
    page.goto(page.base_url + "/auditoria/")
    page.get_by_label(re.compile(r"^Qué:?$")).select_option(label="Cuotas")
    page.get_by_role("button", name="Filtrar").click()
    records = page.locator("table.audit tbody tr td:nth-child(2)").all_inner_texts()
    assert f"Cuota: Cuota {first.number} · {first.month:%m/%Y}" in records, records
    assert not [text for text in records if re.search(r"· \d+$", text)], records
    # a field's label as written, its acronym kept: "Monto (ARS)", not "Monto (ars)"
    expect(page.locator("table.audit")).to_contain_text("Monto (ARS): ")
    expect(page.locator("table.audit")).not_to_contain_text("(ars)")


def test_the_flag_page_shows_dates_dd_mm_aaaa_and_cuils_with_dashes_only(page, world):
    enrollment = flagged_enrollment(
        cycle=Cycle.objects.get(name="Zafra Tucumán"),
        dni=30222444,
        last="Medina",
        first="Rosa",
        registry_row=f"{make_cuil(30222444)},30222444,Medina,Rosa,1985-04-09,2026-06,2026-12",
        registered_by=world["gonzalez"].registered_by,
    )
    cuil = enrollment.worker.cuil_display
    login(page, "revisora")
    page.goto(page.base_url + f"/inscripciones/{enrollment.pk}/")
    page.locator("#flags").get_by_role("link").first.click()
    table = page.locator("table.side-by-side")
    expect(table).to_be_visible()
    expect(table.locator("tr", has_text="CUIL").locator("td").nth(0)).to_have_text(cuil)
    expect(table.locator("tr", has_text="CUIL").locator("td").nth(1)).to_have_text(cuil)
    expect(table.locator("tr", has_text="Fecha de nacimiento").locator("td").nth(0)).to_have_text("09/04/1985")
    expect(table.locator("tr", has_text="Fecha de nacimiento").locator("td").nth(1)).to_have_text("09/04/1985")
    text = page.locator("main").inner_text()
    assert not ISO_DATE.search(text), ISO_DATE.search(text).group(0)
    assert not ELEVEN_DIGITS.search(text), ELEVEN_DIGITS.search(text).group(0)
    assert re.search(r"\b\d\d/\d{4}\b", text)  # the registry's months, mm/aaaa

    # the flags' list, likewise
    page.get_by_role("link", name="Volver a las alertas").click()
    row = page.locator("main table tbody tr", has_text="Medina")
    expect(row.locator("td").first).to_have_text(cuil)
    expect(row.locator("td").last).to_have_text(timezone.localdate().strftime("%d/%m/%Y"))
    text = page.locator("main table").inner_text()  # the CUIL filter's help shows both ways to type one
    assert not ISO_DATE.search(text), ISO_DATE.search(text).group(0)
    assert not ELEVEN_DIGITS.search(text), ELEVEN_DIGITS.search(text).group(0)
