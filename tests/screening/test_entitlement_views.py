"""The "Meses de ayuda" pages: who sees and changes the entitlement table, four eyes through the
web, and the months with their reason on the enrollment page and in the API."""

import datetime as dt

import pytest

from enrollment.models import Enrollment
from enrollment.screening.models import EntitlementRuleSet
from enrollment.services import approve_enrollment
from provinces.roles import Role
from tests.factories import (
    PASSWORD,
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    agrarian_history,
    make_user,
    province,
)
from tests.twofactor import verify_client

pytestmark = pytest.mark.django_db
S = EntitlementRuleSet.Status
LIST = "/control/meses-de-ayuda/"
NEW = "/control/meses-de-ayuda/nueva/"


@pytest.fixture
def users():
    tucuman = province("Tucumán")
    return {
        "reviewer": make_user(Role.MINISTRY_REVIEWER),
        "payments": make_user(Role.PAYMENTS_OFFICER),
        "auditor": make_user(Role.AUDITOR),
        "provincial": make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=tucuman)),
        "union": make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union", province=tucuman)),
    }


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    verify_client(client, user)


def proposal(**extra) -> dict:
    data = {
        "effective_from": "2027-01-01",
        "window_months": "12",
        "note": "Res. MTEySS 10/2026",
        "tramos-TOTAL_FORMS": "4",
        "tramos-INITIAL_FORMS": "0",
        "tramos-MIN_NUM_FORMS": "0",
        "tramos-MAX_NUM_FORMS": "1000",
        "tramos-0-min_pay_months": "0",
        "tramos-0-max_pay_months": "5",
        "tramos-0-months": "2",
        "tramos-1-min_pay_months": "6",
        "tramos-1-max_pay_months": "12",
        "tramos-1-months": "4",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize(
    ("role", "list_status", "form_status"),
    [
        ("reviewer", 200, 200),
        ("payments", 200, 200),
        ("auditor", 200, 403),
        ("provincial", 403, 403),
        ("union", 403, 403),
    ],
)
def test_who_reads_the_tables_and_who_may_propose(client, users, role, list_status, form_status):
    login(client, users[role])
    listing = client.get(LIST)
    assert listing.status_code == list_status
    assert client.get(NEW).status_code == form_status
    response = client.post(NEW, proposal())
    assert response.status_code == (302 if form_status == 200 else 403)
    assert EntitlementRuleSet.objects.filter(status=S.PROPOSED).exists() == (form_status == 200)
    if list_status == 200:
        body = listing.content.decode()
        assert "<h1>Meses de ayuda por trabajador/a</h1>" in body
        assert "Vigente desde 01/01/2016" in body
        assert ("Proponer una tabla nueva" in body) == (form_status == 200)


def test_menu_offers_the_page_to_the_ministry_roles_only(client, users):
    for role, shown in [("reviewer", True), ("payments", True), ("auditor", True), ("provincial", False)]:
        login(client, users[role])
        assert (f'href="{LIST}"' in client.get("/").content.decode()) is shown, role
        client.logout()


def test_proposal_by_one_and_approval_by_another_through_the_pages(client, users):
    login(client, users["reviewer"])
    response = client.post(NEW, proposal())
    table = EntitlementRuleSet.objects.get(status=S.PROPOSED)
    assert response["Location"] == f"{LIST}{table.pk}/"
    assert [(b.min_pay_months, b.max_pay_months, b.months) for b in table.brackets.all()] == [(0, 5, 2), (6, 12, 4)]

    page = client.get(f"{LIST}{table.pk}/").content.decode()
    assert "Usted propuso esta tabla: la aprueba o rechaza otra persona." in page
    assert 'value="approve"' not in page
    assert client.post(f"{LIST}{table.pk}/", {"action": "approve"}).status_code == 403
    table.refresh_from_db()
    assert table.status == S.PROPOSED

    client.logout()
    login(client, users["payments"])
    assert 'value="approve"' in client.get(f"{LIST}{table.pk}/").content.decode()
    response = client.post(f"{LIST}{table.pk}/", {"action": "approve", "note": "Conforme"})
    assert response.status_code == 302
    table.refresh_from_db()
    assert (table.status, table.decided_by, table.decision_note) == (S.APPROVED, users["payments"], "Conforme")


def test_auditor_cannot_decide_through_the_page(client, users):
    login(client, users["reviewer"])
    client.post(NEW, proposal())
    table = EntitlementRuleSet.objects.get(status=S.PROPOSED)
    client.logout()
    login(client, users["auditor"])
    assert client.post(f"{LIST}{table.pk}/", {"action": "approve"}).status_code == 403
    table.refresh_from_db()
    assert table.status == S.PROPOSED


def test_a_table_with_a_gap_is_refused_with_the_reason_in_spanish(client, users):
    login(client, users["reviewer"])
    response = client.post(NEW, proposal(**{"tramos-1-min_pay_months": "7"}))
    assert response.status_code == 400
    assert "Faltan los meses 6 a 6: ningún tramo los cubre." in response.content.decode()
    assert not EntitlementRuleSet.objects.filter(status=S.PROPOSED).exists()


def test_a_half_filled_row_is_refused(client, users):
    login(client, users["reviewer"])
    response = client.post(NEW, proposal(**{"tramos-2-min_pay_months": "3"}))
    assert response.status_code == 400
    assert "Complete desde, hasta y meses de ayuda del tramo" in response.content.decode()


def test_rejection_without_a_reason_is_refused_on_the_page(client, users):
    login(client, users["reviewer"])
    client.post(NEW, proposal())
    table = EntitlementRuleSet.objects.get(status=S.PROPOSED)
    client.logout()
    login(client, users["payments"])
    response = client.post(f"{LIST}{table.pk}/", {"action": "reject", "note": ""})
    assert response.status_code == 400
    assert "Indique por qué se rechaza la tabla." in response.content.decode()
    table.refresh_from_db()
    assert table.status == S.PROPOSED


def test_unknown_table_is_404(client, users):
    login(client, users["reviewer"])
    assert client.get(f"{LIST}999999/").status_code == 404


def test_enrollment_page_and_api_show_the_months_and_the_reason(client, users):
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1), months=4)
    enrollment = EnrollmentFactory(cycle=cycle, status=Enrollment.Status.PENDING_REVIEW)
    agrarian_history(enrollment.worker, before=cycle.first_month, months=5)
    reason = (
        "3 meses: 5 meses con remuneración agraria o agroindustrial registrada entre 05/2025 y 04/2026 "
        "(tabla vigente desde 01/01/2016)"
    )
    login(client, users["reviewer"])
    page = client.get(f"/inscripciones/{enrollment.pk}/").content.decode()
    assert reason in page and "estimado con los datos de hoy" in page

    approve_enrollment(enrollment=enrollment, by=users["reviewer"])
    page = client.get(f"/inscripciones/{enrollment.pk}/").content.decode()
    assert reason in page and "estimado con los datos de hoy" not in page
    answer = client.get(f"/api/v1/enrollments/{enrollment.pk}/").json()
    assert answer["entitlement"] == {"months": 3, "stored": True, "reason": reason}
