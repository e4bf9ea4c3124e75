"""Suspend, reinstate and withdraw through the API: the same services and rules as the web,
404 for an unknown enrollment and for one outside the caller's scope alike, 403 for a role
that may not act, nothing changed on any refusal."""

import datetime as dt

import pytest
from django.utils import timezone

from enrollment import services
from enrollment.models import Enrollment, Suspension
from enrollment.suspensions import suspend_enrollment
from payments.models import Installment
from provinces.models import Organisation, add_months
from provinces.roles import Role
from tests.api.conftest import client_for
from tests.factories import (
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    WorkerFactory,
    agrarian_history,
    make_user,
    province,
)

pytestmark = pytest.mark.django_db
S = Enrollment.Status
I = Installment.Status  # noqa: E741


def month(offset: int) -> dt.date:
    return add_months(timezone.localdate().replace(day=1), offset)


@pytest.fixture
def union():
    return OrganisationFactory(kind=Organisation.Kind.UNION, province=province("Tucumán"))


@pytest.fixture
def reviewer():
    return make_user(Role.MINISTRY_REVIEWER)


@pytest.fixture
def enrollment(reviewer, union):
    pending = EnrollmentFactory(
        status=S.PENDING_REVIEW,
        worker=WorkerFactory(registered_by=union),
        cycle=CycleFactory(first_month=month(-2), months=4),
    )
    agrarian_history(pending.worker, before=pending.cycle.first_month, months=8)  # four months of aid
    return services.approve_enrollment(enrollment=pending, by=reviewer)


def url(enrollment_id: int, action: str) -> str:
    return f"/api/v1/enrollments/{enrollment_id}/{action}/"


def test_reviewer_suspends_and_reinstates_with_owed_months(reviewer, enrollment):
    api = client_for(reviewer)
    answer = api.post(url(enrollment.pk, "suspend"), {"cause": "moved_out", "note": "Vive en Salta"}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "suspended"
    assert Suspension.objects.get(enrollment=enrollment).cause == "moved_out"
    body = {"reason": "Volvió a Tucumán", "owed_months": [month(-1).isoformat()], "owed_reason": "Error de domicilio"}
    answer = api.post(url(enrollment.pk, "reinstate"), body, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "approved"
    live = sorted(enrollment.installments.exclude(status=I.CANCELLED).values_list("month", flat=True))
    assert live == [month(-1), month(0), month(1)]


@pytest.mark.parametrize(
    "body",
    [{"cause": "mudanza", "note": "x"}, {"cause": "death"}, {"cause": "death", "note": "x", "extra": 1}],
)
def test_a_suspension_with_an_unknown_cause_or_missing_note_is_400(reviewer, enrollment, body):
    answer = client_for(reviewer).post(url(enrollment.pk, "suspend"), body, format="json")
    assert answer.status_code == 400
    enrollment.refresh_from_db()
    assert enrollment.status == S.APPROVED


def test_owed_months_that_did_not_pass_are_refused(reviewer, enrollment):
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="death", note="Acta")
    body = {"reason": "Error", "owed_months": [month(1).isoformat()], "owed_reason": "Se adeuda"}
    answer = client_for(reviewer).post(url(enrollment.pk, "reinstate"), body, format="json")
    assert answer.status_code == 400 and "owed_months" in answer.json()["fields"]
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUSPENDED


@pytest.mark.parametrize("role", [Role.UNION_OFFICER, Role.PROVINCIAL_OFFICER, Role.PAYMENTS_OFFICER, Role.AUDITOR])
def test_only_reviewers_suspend_or_reinstate(reviewer, enrollment, union, role):
    org = {Role.UNION_OFFICER: union, Role.PROVINCIAL_OFFICER: OrganisationFactory(province=province("Tucumán"))}
    api = client_for(make_user(role, org.get(role)))
    assert api.post(url(enrollment.pk, "suspend"), {"cause": "death", "note": "x"}, format="json").status_code == 403
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="death", note="Acta")
    assert api.post(url(enrollment.pk, "reinstate"), {"reason": "x"}, format="json").status_code == 403
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUSPENDED


def test_the_registering_union_withdraws_and_another_gets_404_like_an_unknown_id(enrollment, union):
    other = client_for(make_user(Role.UNION_OFFICER, OrganisationFactory(kind=Organisation.Kind.UNION)))
    out_of_scope = other.post(url(enrollment.pk, "withdraw"), {"reason": "Pidió"}, format="json")
    unknown = other.post(url(enrollment.pk + 10_000, "withdraw"), {"reason": "Pidió"}, format="json")
    assert out_of_scope.status_code == unknown.status_code == 404
    assert out_of_scope.json() == unknown.json()
    enrollment.refresh_from_db()
    assert enrollment.status == S.APPROVED
    mine = client_for(make_user(Role.UNION_OFFICER, union))
    answer = mine.post(url(enrollment.pk, "withdraw"), {"reason": "Pidió la baja por nota"}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "withdrawn"
    assert set(enrollment.installments.values_list("status", flat=True)) == {I.CANCELLED}


def test_an_auditor_cannot_withdraw(enrollment):
    answer = client_for(make_user(Role.AUDITOR)).post(url(enrollment.pk, "withdraw"), {"reason": "x"}, format="json")
    assert answer.status_code == 403
    enrollment.refresh_from_db()
    assert enrollment.status == S.APPROVED


def test_reviewer_unknown_enrollment_is_404(reviewer):
    api = client_for(reviewer)
    assert api.post(url(99_999_999, "suspend"), {"cause": "death", "note": "x"}, format="json").status_code == 404
    assert api.post(url(99_999_999, "reinstate"), {"reason": "x"}, format="json").status_code == 404
