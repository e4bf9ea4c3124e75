"""The home page: what waits on each role today, counted in the user's scope, each count linking
to the list that shows exactly those rows; a superuser without a role is led to the admin."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from enrollment.models import CbuChangeRequest, Enrollment, ImportJob
from enrollment.screening.models import MatchFlag
from payments.models import PaymentBatch
from provinces.roles import Role
from tests.factories import (
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    make_cbu,
    make_user,
    province,
)
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def work():
    tucuman, mendoza = province("Tucumán"), province("Mendoza")
    tuc_office = OrganisationFactory(province=tucuman)
    mza_office = OrganisationFactory(province=mendoza)
    tuc_cycle = CycleFactory(agreement__province=tucuman)
    mza_cycle = CycleFactory(agreement__province=mendoza)
    pending = [
        EnrollmentFactory(cycle=tuc_cycle, worker__registered_by=tuc_office, status=Enrollment.Status.PENDING_REVIEW),
        EnrollmentFactory(cycle=mza_cycle, worker__registered_by=mza_office, status=Enrollment.Status.PENDING_REVIEW),
        EnrollmentFactory(cycle=mza_cycle, worker__registered_by=mza_office, status=Enrollment.Status.PENDING_REVIEW),
    ]
    EnrollmentFactory(cycle=tuc_cycle, worker__registered_by=tuc_office, status=Enrollment.Status.APPROVED)
    MatchFlag.objects.create(
        enrollment=pending[1],
        kind=MatchFlag.Kind.REGISTRY,
        level=MatchFlag.Level.SAME,
        status=MatchFlag.Status.OPEN,
        score=Decimal("0.950"),
        reasons="mismo DNI en el padrón de pensiones",
        match_key="registry:1:1",
    )
    officer = make_user(Role.PROVINCIAL_OFFICER, tuc_office, username="tucuman")
    CbuChangeRequest.objects.create(
        worker=pending[0].worker,
        old_cbu=pending[0].worker.cbu,
        new_cbu=make_cbu(777),
        reason="Cambió de banco",
        requested_by=officer,
    )
    payer = make_user(Role.PAYMENTS_OFFICER, username="pagos")
    PaymentBatch.objects.create(month=dt.date(2026, 5, 1), built_by=payer, status=PaymentBatch.Status.BUILT)
    PaymentBatch.objects.create(month=dt.date(2026, 4, 1), built_by=payer, status=PaymentBatch.Status.BUILDING)
    for office, cycle, status in [
        (tuc_office, tuc_cycle, ImportJob.Status.FAILED),
        (mza_office, mza_cycle, ImportJob.Status.FAILED),
        (tuc_office, tuc_cycle, ImportJob.Status.READY),
    ]:
        ImportJob.objects.create(
            file="padron.csv",
            original_name=f"padron-{status}.csv",
            file_format="csv",
            sha256="0" * 64,
            uploaded_by=officer,
            organisation=office,
            cycle=cycle,
            status=status,
        )
    return {
        "officer": officer,
        "payer": payer,
        "reviewer": make_user(Role.MINISTRY_REVIEWER, username="revisora"),
        "auditor": make_user(Role.AUDITOR, username="auditora"),
        "access": make_user(Role.ACCESS_ADMIN, username="accesos"),
    }


def _tasks(client, user) -> dict:
    sign_in(client, user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return {task.key: task for task in response.context["tasks"]}


def test_reviewer_home_counts_every_province_and_each_count_links_to_its_list(client, work):
    tasks = _tasks(client, work["reviewer"])
    assert {k: t.count for k, t in tasks.items()} == {
        "pending_review": 3,
        "open_flags": 1,
        "identity_reviews": 0,
        "cbu_changes": 1,
        "open_claims": 0,
        "failed_imports": 2,
    }
    assert tasks["pending_review"].text == "3 inscripciones pendientes de revisión"
    assert tasks["open_flags"].text == "1 alerta de control sin resolver"
    assert tasks["pending_review"].url == reverse("enrollment:review_queue")
    # Every link opens a page of the user's, and the failed lists' page shows just those two.
    for task in tasks.values():
        assert client.get(task.url).status_code == 200, task.url
    page = client.get(tasks["failed_imports"].url).content.decode()
    assert page.count("padron-failed.csv") == 2 and "padron-ready.csv" not in page


def test_provincial_officer_home_counts_only_its_province(client, work):
    tasks = _tasks(client, work["officer"])
    assert {k: t.count for k, t in tasks.items()} == {
        "pending_review": 1,
        "open_claims": 0,
        "imports_ready": 1,
        "failed_imports": 1,
    }
    assert tasks["failed_imports"].text == "1 padrón con error"
    listed = client.get(tasks["pending_review"].url)
    assert listed.status_code == 200 and listed.context["page"].paginator.count == 1
    page = client.get(tasks["failed_imports"].url).content.decode()
    assert page.count("padron-failed.csv") == 1


def test_payments_officer_home_shows_batches_to_approve_and_the_filtered_batch_list(client, work):
    tasks = _tasks(client, work["payer"])
    assert tasks["batches_to_approve"].count == 1
    assert "pending_review" not in tasks and "open_flags" not in tasks and "failed_imports" not in tasks
    batches = client.get(tasks["batches_to_approve"].url)
    assert [b.status for b in batches.context["page"]] == [PaymentBatch.Status.BUILT]
    assert len(client.get(reverse("payments:batch_list")).context["page"]) == 2


def test_auditor_reads_every_queue_and_the_access_administrator_only_the_grants(client, work):
    auditor = _tasks(client, work["auditor"])
    assert {"pending_review", "open_flags", "cbu_changes", "batches_to_approve", "failed_imports"} <= set(auditor)
    assert auditor["pending_review"].url == reverse("enrollment:enrollment_list") + "?status=pending_review"
    assert client.get(auditor["pending_review"].url).context["page"].paginator.count == 3
    client.logout()
    assert set(_tasks(client, work["access"])) == {"access_grants"}


def test_home_shows_each_count_as_a_link_in_words(client, work):
    sign_in(client, work["reviewer"])
    html = client.get(reverse("home")).content.decode()
    assert re.search(r'<a href="/revision/">3 inscripciones pendientes de revisión</a>', html)
    assert "Trabajo de hoy" in html


def test_superuser_without_a_role_is_led_to_the_admin(client, django_user_model):
    admin = django_user_model.objects.create_superuser("soporte", "soporte@example.org", "x")
    client.force_login(admin)
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("admin:index") in html and "no tiene un rol asignado" not in html
    assert response.context["tasks"] == []
