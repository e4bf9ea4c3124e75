"""Issue 19: screening many submitted enrollments moves them in a few statements, keeps the
state machine's rules and the audit trail, and is safe to rerun after a crash half-way."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pghistory.models import Events

from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from enrollment.screening import services
from tests.factories import CycleFactory, EnrollmentFactory, WorkerFactory, make_cuil

pytestmark = pytest.mark.django_db
S = Enrollment.Status


def submitted(n, cycle, start=40_000_000):
    return [
        EnrollmentFactory(
            worker=WorkerFactory(
                cuil=make_cuil(start + i),
                last_name=f"Apellido{chr(65 + i % 26)}{i}",
                birth_date=dt.date(1980, 1, 1 + i % 28),
            ),
            cycle=cycle,
        )
        for i in range(n)
    ]


def enrollment_updates(queries) -> int:
    return sum(1 for q in queries if re.search(r'UPDATE "?enrollment_enrollment"? ', q["sql"]))


def test_screening_many_enrollments_moves_them_in_a_fixed_number_of_statements(reviewer):
    cycle = CycleFactory()
    few, many = submitted(2, cycle), submitted(12, cycle, start=41_000_000)
    with CaptureQueriesContext(connection) as small:
        services.screen_enrollments(enrollment_ids=[e.pk for e in few], by=reviewer)
    with CaptureQueriesContext(connection) as large:
        services.screen_enrollments(enrollment_ids=[e.pk for e in many], by=reviewer)
    assert enrollment_updates(large.captured_queries) == enrollment_updates(small.captured_queries) == 2
    assert len(large.captured_queries) == len(small.captured_queries)
    assert set(Enrollment.objects.filter(cycle=cycle).values_list("status", flat=True)) == {S.PENDING_REVIEW}


def test_each_moved_enrollment_has_both_audit_events_with_who_and_why(reviewer):
    [e] = submitted(1, CycleFactory())
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    events = list(Events.objects.tracks(e).filter(pgh_label="update").order_by("pgh_created_at", "pgh_id"))
    assert [ev.pgh_data["status"] for ev in events] == [S.SCREENING, S.PENDING_REVIEW]
    assert all(ev.pgh_context["user"] == reviewer.pk for ev in events)
    assert events[0].pgh_context["reason"] == "Control de duplicados y elegibilidad"
    assert events[1].pgh_context["reason"] == "Control terminado sin alertas."
    e.refresh_from_db()
    assert e.status_changed_by == reviewer and e.status_reason == "Control terminado sin alertas."


def test_only_submitted_enrollments_move(reviewer):
    cycle = CycleFactory()
    moving, rejected, approved = submitted(3, cycle)
    Enrollment.objects.filter(pk=rejected.pk).update(status=S.REJECTED)
    Enrollment.objects.filter(pk=approved.pk).update(status=S.APPROVED)
    moved = enrollment_services.start_screening_many(enrollment_ids=[moving.pk, rejected.pk, approved.pk])
    assert moved == [moving.pk]
    statuses = dict(Enrollment.objects.filter(cycle=cycle).values_list("pk", "status"))
    assert statuses == {moving.pk: S.SCREENING, rejected.pk: S.REJECTED, approved.pk: S.APPROVED}
    # And only enrollments in screening go on to review.
    assert enrollment_services.send_many_to_review(reasons={"x": [moving.pk, rejected.pk]}) == [moving.pk]


def test_a_run_that_stopped_half_way_is_finished_by_the_retry_and_a_rerun_changes_nothing(reviewer):
    cycle = CycleFactory()
    enrollments = submitted(4, cycle)
    ids = [e.pk for e in enrollments]
    # The worker moved two of them to screening and died before flagging and reviewing.
    enrollment_services.start_screening_many(enrollment_ids=ids[:2])
    enrollment_services.screen_submitted(enrollment_ids=ids)
    assert set(Enrollment.objects.filter(pk__in=ids).values_list("status", flat=True)) == {S.PENDING_REVIEW}
    before = Events.objects.filter(pgh_obj_model="enrollment.Enrollment").count()
    enrollment_services.screen_submitted(enrollment_ids=ids)
    assert Events.objects.filter(pgh_obj_model="enrollment.Enrollment").count() == before
