"""The enrollment page's suspension, reinstatement and withdrawal: forms shown only to who may
act, each POST through the service, 404 outside the caller's scope, nothing changed on refusal."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollment import services
from enrollment.models import Enrollment, Suspension
from enrollment.suspensions import suspend_enrollment
from payments.models import Installment
from provinces.models import Organisation, add_months
from provinces.roles import Role
from tests.factories import (
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    WorkerFactory,
    agrarian_history,
    make_user,
    province,
)
from tests.twofactor import sign_in

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
    """Approved, registered by a Tucumán union; its four months started two months ago."""
    pending = EnrollmentFactory(
        status=S.PENDING_REVIEW,
        worker=WorkerFactory(registered_by=union),
        cycle=CycleFactory(first_month=month(-2), months=4),
    )
    agrarian_history(pending.worker, before=pending.cycle.first_month, months=8)  # 4 months of aid
    return services.approve_enrollment(enrollment=pending, by=reviewer)


def page(client, user, enrollment):
    sign_in(client, user)
    return client.get(reverse("enrollment:enrollment_detail", args=[enrollment.pk]))


def post(client, user, enrollment, name, data):
    sign_in(client, user)
    return client.post(reverse(f"enrollment:{name}", args=[enrollment.pk]), data)


def test_reviewer_sees_suspend_and_withdraw_forms_not_the_approval_decision(client, reviewer, enrollment):
    body = page(client, reviewer, enrollment).content.decode()
    assert 'id="suspend"' in body and 'id="withdraw"' in body
    assert 'id="reinstate"' not in body and "Registrar decisión" not in body
    assert "Fallecimiento" in body  # the coded causes, in words


def test_the_registering_union_sees_only_the_withdrawal_and_an_auditor_no_form(client, enrollment, union):
    body = page(client, make_user(Role.UNION_OFFICER, union), enrollment).content.decode()
    assert 'id="withdraw"' in body and 'id="suspend"' not in body and 'id="reinstate"' not in body
    body = page(client, make_user(Role.AUDITOR), enrollment).content.decode()
    assert 'id="withdraw"' not in body and 'id="suspend"' not in body


def test_reviewer_suspends_from_the_page_with_a_cause_and_note(client, reviewer, enrollment):
    response = post(client, reviewer, enrollment, "suspend", {"cause": "death", "note": "Acta de defunción 123"})
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUSPENDED
    body = client.get(response.url).content.decode()
    assert 'id="suspension-cause"' in body and "Fallecimiento" in body and "Acta de defunción 123" in body
    assert 'id="reinstate"' in body and 'id="suspend"' not in body
    # The passed months are offered as owed, this month is not (it is paid anyway).
    assert month(-1).strftime("%m/%Y") in body and f'value="{month(0).isoformat()}"' not in body


def test_suspension_without_a_cause_is_shown_again_with_the_error(client, reviewer, enrollment):
    response = post(client, reviewer, enrollment, "suspend", {"cause": "", "note": "algo"})
    assert response.status_code == 400
    enrollment.refresh_from_db()
    assert enrollment.status == S.APPROVED and not Suspension.objects.exists()


@pytest.mark.parametrize("role", [Role.UNION_OFFICER, Role.PAYMENTS_OFFICER, Role.AUDITOR])
def test_other_roles_cannot_suspend_or_reinstate(client, reviewer, enrollment, union, role):
    user = make_user(role, union if role == Role.UNION_OFFICER else None)
    assert post(client, user, enrollment, "suspend", {"cause": "death", "note": "x"}).status_code == 403
    enrollment.refresh_from_db()
    assert enrollment.status == S.APPROVED
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="death", note="Acta")
    assert post(client, user, enrollment, "reinstate", {"reason": "Error"}).status_code == 403
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUSPENDED


def test_reviewer_reinstates_from_the_page_paying_the_months_marked_owed(client, reviewer, enrollment):
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="pay_above_aid", note="Alta SIPA")
    data = {"reason": "La baja del empleo consta", "owed_months": [month(-1).isoformat()], "owed_reason": ""}
    assert post(client, reviewer, enrollment, "reinstate", data).status_code == 400  # owed needs a reason
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUSPENDED
    data["owed_reason"] = "El alta fue posterior"
    assert post(client, reviewer, enrollment, "reinstate", data).status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == S.APPROVED
    live = sorted(enrollment.installments.exclude(status=I.CANCELLED).values_list("month", flat=True))
    assert live == [month(-1), month(0), month(1)]
    body = page(client, reviewer, enrollment).content.decode()
    assert month(-1).strftime("%m/%Y") in body[body.index('id="suspensions"') :]


def test_reinstating_with_nothing_left_to_pay_says_the_enrollment_is_finished(client, reviewer, union):
    pending = EnrollmentFactory(
        status=S.PENDING_REVIEW,
        worker=WorkerFactory(registered_by=union),
        cycle=CycleFactory(first_month=month(-6), months=4),
    )
    agrarian_history(pending.worker, before=pending.cycle.first_month, months=8)
    enrollment = services.approve_enrollment(enrollment=pending, by=reviewer)
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="pay_above_aid", note="Alta SIPA")
    answer = post(client, reviewer, enrollment, "reinstate", {"reason": "La baja del empleo consta"})
    assert answer.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == S.COMPLETED
    body = client.get(answer.url).content.decode()
    assert "Inscripción rehabilitada y finalizada: no le quedan cuotas por cobrar." in body
    assert "Finalizada" in body


def test_the_registering_union_withdraws_from_the_page(client, enrollment, union):
    officer = make_user(Role.UNION_OFFICER, union)
    assert post(client, officer, enrollment, "withdraw", {"reason": ""}).status_code == 400
    assert post(client, officer, enrollment, "withdraw", {"reason": "Lo pidió por nota"}).status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == S.WITHDRAWN and enrollment.status_reason == "Lo pidió por nota"


@pytest.mark.parametrize("name", ["suspend", "reinstate", "withdraw"])
def test_out_of_scope_and_unknown_enrollments_answer_404(client, enrollment, name):
    other_union = make_user(Role.UNION_OFFICER, OrganisationFactory(kind=Organisation.Kind.UNION))
    mendoza = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Mendoza")))
    for user in (other_union, mendoza):
        response = post(client, user, enrollment, name, {"reason": "x", "cause": "death", "note": "x"})
        assert response.status_code in (403, 404)
        if name == "withdraw":
            assert response.status_code == 404
    reviewer = make_user(Role.MINISTRY_REVIEWER)
    sign_in(client, reviewer)
    url = reverse(f"enrollment:{name}", args=[enrollment.pk + 10_000])
    assert client.post(url, {"reason": "x", "cause": "death", "note": "x"}).status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.status == S.APPROVED
