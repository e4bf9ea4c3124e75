"""The audit trail is written by the database and cannot be rewritten by the application."""

import pytest
from django.db import ProgrammingError, connection, transaction
from django.urls import reverse
from pghistory.models import Events

from enrollment.models import Enrollment
from provinces.models import Agreement
from provinces.roles import Role
from tests.factories import AgreementFactory, CycleFactory, EnrollmentFactory, crop, make_user
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db


def test_bulk_update_is_caught_by_the_trigger():
    agreements = AgreementFactory.create_batch(3, budget=1000)
    Agreement.objects.filter(pk__in=[a.pk for a in agreements]).update(budget=2000)
    for agreement in agreements:
        budgets = [e.pgh_data["budget"] for e in Events.objects.tracks(agreement)]
        assert sorted(map(float, budgets)) == [1000.0, 2000.0]


def test_bulk_status_change_of_enrollments_is_recorded_per_row():
    cycle = CycleFactory()
    enrollments = EnrollmentFactory.create_batch(4, cycle=cycle)
    Enrollment.objects.filter(cycle=cycle).update(status=Enrollment.Status.WITHDRAWN)
    for enrollment in enrollments:
        assert Events.objects.tracks(enrollment).filter(pgh_data__status="withdrawn").count() == 1


def test_deletions_are_recorded():
    agreement = AgreementFactory()
    quota = agreement.quotas.create(crop=crop("cana"), quota=10)
    quota_pk = quota.pk
    quota.delete()
    assert agreement.quotas.model.pgh_event_model.objects.filter(pgh_obj_id=quota_pk, pgh_label="delete").exists()


@pytest.mark.parametrize("statement", ["UPDATE {table} SET pgh_label = 'x'", "DELETE FROM {table}"])
def test_events_cannot_be_rewritten_or_deleted(statement):
    AgreementFactory()
    table = Agreement.pgh_event_model._meta.db_table
    with (
        pytest.raises(ProgrammingError, match="Cannot update or delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table=table))
    assert Agreement.pgh_event_model.objects.count() == 1


def test_web_change_records_who_and_from_where(client):
    reviewer = make_user(Role.MINISTRY_REVIEWER)
    agreement = AgreementFactory(title="Antes")
    agreement.quotas.create(crop=crop("cana"), quota=10)
    sign_in(client, reviewer)
    data = {
        "province": agreement.province_id,
        "number": agreement.number,
        "title": "Después",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "budget": "1000.00",
        "status": "active",
        "quotas-TOTAL_FORMS": "1",
        "quotas-INITIAL_FORMS": "0",
        "quotas-0-crop": crop("cana").pk,
        "quotas-0-quota": "10",
    }
    url = reverse("provinces:agreement_edit", args=[agreement.pk])
    forged = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client.post(url, data, REMOTE_ADDR="10.1.2.3", **forged).status_code == 302
    event = Events.objects.tracks(agreement).get(pgh_data__title="Después")
    assert event.pgh_context["user"] == reviewer.pk
    assert event.pgh_context["ip"] == "10.1.2.3"  # a forged X-Forwarded-For is not believed
    assert event.pgh_context["url"] == url


def test_auditor_reads_the_history_of_a_record(client):
    agreement = AgreementFactory(title="Primera versión")
    Agreement.objects.filter(pk=agreement.pk).update(title="Segunda versión")
    sign_in(client, make_user(Role.AUDITOR))
    response = client.get(reverse("provinces:record_history", args=["agreement", agreement.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Primera versión" in body and "Segunda versión" in body
