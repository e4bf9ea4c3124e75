"""Suspension proposals through the API: reviewers and auditors read them, a reviewer accepts
(the enrollment is suspended with the proposal's cause) or dismisses, each with a note, through
the same services as the Revisión page. Other roles read nothing and decide nothing; errors are
in Spanish, or English when asked."""

import pytest
from django.utils import timezone

from enrollment import services
from enrollment.models import Enrollment, Organisation, Suspension, SuspensionProposal
from payments.models import Installment
from provinces.models import add_months
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
P = SuspensionProposal.Status
LIST = "/api/v1/suspension-proposals/"
DETAIL = "Reside en Salta y el convenio es de Tucumán."


@pytest.fixture
def office():
    return OrganisationFactory(kind=Organisation.Kind.PROVINCIAL_OFFICE, province=province("Tucumán"))


@pytest.fixture
def reviewer():
    return make_user(Role.MINISTRY_REVIEWER)


@pytest.fixture
def proposal(reviewer, office):
    first = add_months(timezone.localdate().replace(day=1), -1)
    pending = EnrollmentFactory(
        status=S.PENDING_REVIEW,
        worker=WorkerFactory(registered_by=office),
        cycle=CycleFactory(first_month=first, months=4),
    )
    agrarian_history(pending.worker, before=first, months=8)
    enrollment = services.approve_enrollment(enrollment=pending, by=reviewer)
    return SuspensionProposal.objects.create(enrollment=enrollment, cause="moved_out", month=first, detail=DETAIL)


def test_reviewers_and_auditors_read_the_proposals(proposal, reviewer):
    for user in (reviewer, make_user(Role.AUDITOR)):
        client = client_for(user)
        body = client.get(LIST).json()
        (row,) = body["results"] if isinstance(body, dict) else body
        assert row["id"] == proposal.pk and row["cause"] == "moved_out" and row["detail"] == DETAIL
        assert row["cuil"] == proposal.enrollment.worker.cuil and row["status"] == "open"
        assert row["cause_label"] == "Se mudó fuera de la provincia del convenio"
        assert client.get(f"{LIST}{proposal.pk}/").json()["enrollment"] == proposal.enrollment_id
        filtered = client.get(LIST, {"status": "dismissed"}).json()
        assert (filtered["results"] if isinstance(filtered, dict) else filtered) == []


def test_a_bad_status_filter_is_an_error_in_spanish_or_english(proposal, reviewer):
    client = client_for(reviewer)
    spanish = client.get(LIST, {"status": "todas"})
    assert spanish.status_code == 400 and "Estado desconocido" in str(spanish.json())
    english = client.get(LIST, {"status": "todas"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400 and "Unknown status" in str(english.json())


def test_other_roles_read_nothing_and_decide_nothing(proposal, office):
    for user in (make_user(Role.PROVINCIAL_OFFICER, office), make_user(Role.PAYMENTS_OFFICER)):
        client = client_for(user)
        listed = client.get(LIST)
        body = listed.json()
        assert listed.status_code in (200, 403)
        if listed.status_code == 200:
            assert (body["results"] if isinstance(body, dict) else body) == []
            assert client.get(f"{LIST}{proposal.pk}/").status_code == 404
        for verb in ("accept", "dismiss"):
            assert client.post(f"{LIST}{proposal.pk}/{verb}/", {"note": "Visto"}, format="json").status_code == 403
    auditor = client_for(make_user(Role.AUDITOR))
    assert auditor.post(f"{LIST}{proposal.pk}/accept/", {"note": "Visto"}, format="json").status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == P.OPEN and proposal.enrollment.status == S.APPROVED


def test_accepting_needs_a_note_and_suspends_with_the_proposals_cause(proposal, reviewer):
    client = client_for(reviewer)
    url = f"{LIST}{proposal.pk}/accept/"
    for body in ({"note": "  "}, {}):
        refused = client.post(url, body, format="json")
        assert refused.status_code == 400
        assert refused.json()["fields"] == {"note": ["Indique en la nota qué verificó antes de suspender."]}
    english = client.post(url, {"note": ""}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400
    assert english.json()["fields"] == {"note": ["Say in the note what you checked before suspending."]}
    assert Enrollment.objects.get(pk=proposal.enrollment_id).status == S.APPROVED
    done = client.post(url, {"note": "Confirmado con el padrón de Salta"}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "accepted" and done.json()["enrollment_status"] == "suspended"
    suspension = Suspension.objects.get(enrollment_id=proposal.enrollment_id)
    assert suspension.cause == "moved_out" and suspension.note == "Confirmado con el padrón de Salta"
    assert done.json()["suspension"] == suspension.pk
    live = Installment.objects.filter(enrollment_id=proposal.enrollment_id).exclude(status=Installment.Status.CANCELLED)
    assert not live.exclude(status=Installment.Status.PAID).exists()
    again = client.post(url, {"note": "Otra vez"}, format="json")
    assert again.status_code == 400 and "ya fue decidida" in str(again.json())
    english = client.post(url, {"note": "Otra vez"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400 and "already been decided" in str(english.json())


def test_dismissing_needs_a_note_and_leaves_the_enrollment_as_it_was(proposal, reviewer):
    client = client_for(reviewer)
    url = f"{LIST}{proposal.pk}/dismiss/"
    refused = client.post(url, {}, format="json")
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"note": ["Indique por qué se descarta la propuesta."]}
    done = client.post(url, {"note": "Se mudó dentro de Tucumán: error del padrón"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "dismissed"
    assert done.json()["decision_reason"] == "Se mudó dentro de Tucumán: error del padrón"
    assert done.json()["decided_by"]
    assert Enrollment.objects.get(pk=proposal.enrollment_id).status == S.APPROVED
    assert client.post(f"{LIST}{proposal.pk}/accept/", {"note": "Visto"}, format="json").status_code == 400


def test_an_unknown_proposal_answers_404(reviewer):
    client = client_for(reviewer)
    assert client.get(f"{LIST}999999/").status_code == 404
    assert client.post(f"{LIST}999999/accept/", {"note": "Visto"}, format="json").status_code == 404


def test_the_schema_documents_the_endpoints(reviewer):
    schema = client_for(reviewer).get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/suspension-proposals/", "/accept/", "/dismiss/"):
        assert path in schema
    assert "Aceptar una suspensión propuesta" in schema or "Accept a proposed suspension" in schema
