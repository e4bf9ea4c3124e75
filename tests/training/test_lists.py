"""The courses and referrals lists (``provinces.listing``): search, filters that narrow, a total
counted on the filtered rows, and an export of exactly what is filtered, within the user's
scope and safe to open in a spreadsheet."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from enrollment.models import Enrollment
from provinces.roles import Role
from tests.exports import read_csv, read_xlsx
from tests.factories import (
    AgreementFactory,
    CourseFactory,
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    ProviderFactory,
    WorkerFactory,
    crop,
    make_cuil,
    make_user,
    province,
)
from tests.twofactor import sign_in
from training import services

pytestmark = pytest.mark.django_db

COURSES = "/capacitacion/cursos/"
REFERRALS = "/capacitacion/derivaciones/"


@pytest.fixture
def world():
    tucuman, mendoza = province("Tucumán"), province("Mendoza")
    reviewer = make_user(Role.MINISTRY_REVIEWER)
    tuc_cycle = CycleFactory(agreement=AgreementFactory(province=tucuman, number="CONV-TUC"), name="Zafra")
    mza_cycle = CycleFactory(
        agreement=AgreementFactory(province=mendoza, number="CONV-MZA"), crop=crop("vid"), name="Vendimia"
    )
    tuc_course = CourseFactory(
        topic="=cmd|' /C calc'!A0", provider=ProviderFactory(name="Escuela Famaillá", province=tucuman)
    )
    soldering = CourseFactory(
        topic="Soldadura", kind="work_training", start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 10, 1)
    )
    mza_course = CourseFactory(topic="Poda de vid", provider=ProviderFactory(province=mendoza))
    ana = WorkerFactory(cuil=make_cuil(22275822, "27"), last_name="Núñez", first_name="Ana")
    hostile = WorkerFactory(last_name="=HYPERLINK(1)", first_name="@Robo")
    luis = WorkerFactory(province=mendoza, last_name="Quiroga", first_name="Luis")

    def refer(worker, cycle, course, on):
        enrollment = EnrollmentFactory(worker=worker, cycle=cycle, status=Enrollment.Status.ACTIVE)
        return services.refer_worker(
            by=reviewer, enrollment=enrollment, line=course.kind, course=course, referred_on=on
        )

    return {
        "courses": (tuc_course, soldering, mza_course),
        "ana": refer(ana, tuc_cycle, tuc_course, dt.date(2026, 5, 4)),
        "hostile": refer(hostile, tuc_cycle, soldering, dt.date(2026, 8, 20)),
        "luis": refer(luis, mza_cycle, mza_course, dt.date(2026, 5, 10)),
        "reviewer": reviewer,
        "tucuman": make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=tucuman)),
        "mendoza": mendoza,
    }


def client_for(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def test_the_referrals_list_searches_by_cuil_and_name_and_filters(world):
    client = client_for(world["reviewer"])
    page = client.get(REFERRALS)
    assert page.context["total_text"] == "3 derivaciones"
    cuil = world["ana"].worker.cuil
    for typed in (f"{cuil[:2]}-{cuil[2:10]}-{cuil[10:]}", cuil, "22275822"):
        page = client.get(REFERRALS, {"cuil": typed})
        assert list(page.context["page"]) == [world["ana"]] and page.context["total_text"] == "1 derivación"
    assert list(client.get(REFERRALS, {"name": "nunez"}).context["page"]) == [world["ana"]]
    page = client.get(REFERRALS, {"province": world["mendoza"].pk})
    assert list(page.context["page"]) == [world["luis"]]
    page = client.get(REFERRALS, {"line": "work_training"})
    assert list(page.context["page"]) == [world["hostile"]]
    page = client.get(REFERRALS, {"since": "01/05/2026", "until": "31/05/2026"})
    assert list(page.context["page"]) == [world["luis"], world["ana"]] and "2 derivaciones" in page.content.decode()
    page = client.get(REFERRALS, {"since": "31/05/2026", "until": "01/05/2026"})
    assert list(page.context["page"]) == [] and "posterior" in page.content.decode()


def test_the_referrals_export_holds_exactly_what_is_filtered_and_is_formula_safe(world):
    client = client_for(world["reviewer"])
    rows = read_csv(
        client.get(REFERRALS, {"exportar": "csv", "province": world["ana"].enrollment.cycle.agreement.province_id})
    )
    assert rows[0][:3] == ["CUIL", "Apellido", "Nombre"]
    assert sorted(row[1] for row in rows[1:]) == ["'=HYPERLINK(1)", "Núñez"]
    assert "'@Robo" in {row[2] for row in rows[1:]}
    assert world["ana"].worker.cuil_display in {row[0] for row in rows[1:]}
    assert {row[7] for row in rows[1:]} == {"04/05/2026", "20/08/2026"}
    values = read_xlsx(client.get(REFERRALS, {"exportar": "xlsx", "cuil": "22275822"}))
    assert len(values) == 2 and values[1][:3] == (world["ana"].worker.cuil_display, "Núñez", "Ana")
    assert values[1][6].startswith("'=cmd")  # the course's topic, as text


def test_an_officers_referrals_list_and_export_hold_only_her_scope(world):
    client = client_for(world["tucuman"])
    page = client.get(REFERRALS)
    assert set(page.context["page"]) == {world["ana"], world["hostile"]}
    assert page.context["total_text"] == "2 derivaciones"
    rows = read_csv(client.get(REFERRALS, {"exportar": "csv"}))
    assert len(rows) == 3 and "Quiroga" not in {row[1] for row in rows}
    # another province is not a choice: refused, and nothing is listed or exported
    refused = client.get(REFERRALS, {"province": world["mendoza"].pk})
    assert list(refused.context["page"]) == [] and "Seleccione una opción válida" in refused.content.decode()
    refused = client.get(REFERRALS, {"province": world["mendoza"].pk, "exportar": "csv"})
    assert not refused.has_header("Content-Disposition") and "Quiroga" not in refused.content.decode()


def test_the_courses_list_searches_and_filters(world):
    tuc_course, soldering, mza_course = world["courses"]
    client = client_for(world["reviewer"])
    page = client.get(COURSES)
    assert page.context["total_text"] == "3 cursos y entrenamientos"
    page = client.get(COURSES, {"q": "Escuela Famaillá"})
    assert list(page.context["page"]) == [tuc_course]
    page = client.get(COURSES, {"q": "soldad"})
    assert list(page.context["page"]) == [soldering] and page.context["total_text"] == "1 curso o entrenamiento"
    page = client.get(COURSES, {"kind": "vocational"})
    assert set(page.context["page"]) == {tuc_course, mza_course}
    page = client.get(COURSES, {"province": world["mendoza"].pk})
    assert list(page.context["page"]) == [mza_course]
    page = client.get(COURSES, {"since": "01/08/2026"})
    assert list(page.context["page"]) == [soldering]
    assert page.context["page"][0].seats_taken == 1


def test_the_courses_export_is_filtered_scoped_and_formula_safe(world):
    tuc_course, soldering, mza_course = world["courses"]
    client = client_for(world["tucuman"])
    rows = read_csv(client.get(COURSES, {"exportar": "csv"}))
    assert rows[0][:3] == ["Temática", "Tipo", "Institución"]
    assert sorted(row[0] for row in rows[1:]) == ["'=cmd|' /C calc'!A0", "Soldadura"]  # not Mendoza's
    values = read_xlsx(client.get(COURSES, {"exportar": "xlsx", "kind": "work_training"}))
    assert len(values) == 2 and values[1][0] == "Soldadura" and values[1][6] == "01/09/2026"
    assert values[1][-1] == 1  # places taken, a number
    refused = client.get(COURSES, {"province": world["mendoza"].pk, "exportar": "csv"})
    assert not refused.has_header("Content-Disposition")


@pytest.mark.parametrize("role", [Role.UNION_OFFICER, Role.PAYMENTS_OFFICER])
def test_roles_without_training_are_refused_the_lists_and_exports(role):
    org = OrganisationFactory(kind="union") if role == Role.UNION_OFFICER else None
    client = client_for(make_user(role, org))
    for url in (COURSES, REFERRALS):
        assert client.get(url).status_code == 403
        assert client.get(url, {"exportar": "csv"}).status_code == 403
