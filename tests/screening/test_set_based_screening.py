"""Issue 19: screening many submitted enrollments moves them in a few statements, keeps the
state machine's rules and the audit trail, and is safe to rerun after a crash half-way."""

import datetime as dt
import re

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pghistory.models import Events

from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from enrollment.screening import services
from tests.factories import CycleFactory, EnrollmentFactory, WorkerFactory, eligible_history, make_cuil

pytestmark = pytest.mark.django_db
S = Enrollment.Status


def submitted(n, cycle, start=40_000_000):
    """Submitted enrollments of workers with an eligible SIPA history (no findings)."""
    enrollments = [
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
    for enrollment in enrollments:
        eligible_history(enrollment.worker, cycle.first_month)
    return enrollments


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


def registry_rows(enrollments):
    return [
        f"{e.worker.cuil},,{e.worker.last_name},{e.worker.first_name},{e.worker.birth_date:%Y-%m-%d},2026-06,2026-12"
        for e in enrollments
    ]


def flag_writes(queries) -> int:
    return sum(1 for q in queries if re.search(r"(INSERT INTO|UPDATE) screening_matchflag", q["sql"]))


def test_flags_are_written_in_statements_that_do_not_grow_with_the_flags(reviewer, load_registry):
    from enrollment.screening.models import MatchFlag

    cycle = CycleFactory()
    few, many = submitted(2, cycle), submitted(12, cycle, start=41_000_000)
    load_registry(registry_rows(few + many))
    with CaptureQueriesContext(connection) as small:
        services.screen_enrollments(enrollment_ids=[e.pk for e in few], by=reviewer)
    with CaptureQueriesContext(connection) as large:
        services.screen_enrollments(enrollment_ids=[e.pk for e in many], by=reviewer)
    raised = MatchFlag.objects.filter(enrollment__cycle=cycle)
    assert {f.enrollment_id for f in raised if "mismo CUIL" in f.reasons} == {e.pk for e in few + many}
    assert flag_writes(large.captured_queries) == flag_writes(small.captured_queries) == 1
    assert len(large.captured_queries) == len(small.captured_queries)
    # One audit event per flag, each with who and why.
    events = Events.objects.filter(pgh_obj_model="screening.MatchFlag", pgh_label="insert")
    assert events.count() == raised.count()
    assert {(ev.pgh_context["user"], ev.pgh_context["reason"]) for ev in events} == {
        (reviewer.pk, "control de duplicados")
    }


def test_a_rescreening_refreshes_changed_flags_reopens_cleared_ones_and_clears_stale_ones_in_one_update_each(
    reviewer, load_registry
):
    from enrollment.screening.models import MatchFlag

    cycle = CycleFactory()
    kept, reopened, gone = submitted(3, cycle)
    load_registry(registry_rows([kept, reopened, gone]))
    ids = [kept.pk, reopened.pk, gone.pk]
    services.screen_enrollments(enrollment_ids=ids, by=reviewer)
    flag = {f.enrollment_id: f for f in MatchFlag.objects.filter(enrollment_id__in=ids)}
    MatchFlag.objects.filter(pk=flag[reopened.pk].pk).update(status=MatchFlag.Status.CLEARED)
    MatchFlag.objects.filter(pk=flag[kept.pk].pk).update(reasons="texto anterior")
    # The new list no longer holds the third worker.
    load_registry(registry_rows([kept, reopened]))
    event_model = apps.get_model("screening", "MatchFlagEvent")
    last_event = event_model.objects.order_by("-pgh_id").values_list("pgh_id", flat=True).first()
    with CaptureQueriesContext(connection) as queries:
        services.screen_enrollments(enrollment_ids=ids, by=reviewer)
    assert flag_writes(queries.captured_queries) == 2  # one UPDATE refreshing, one clearing
    status = dict(MatchFlag.objects.filter(enrollment_id__in=ids).values_list("enrollment_id", "status"))
    assert status == {
        kept.pk: MatchFlag.Status.OPEN,
        reopened.pk: MatchFlag.Status.OPEN,
        gone.pk: MatchFlag.Status.CLEARED,
    }
    refreshed = MatchFlag.objects.get(pk=flag[kept.pk].pk)
    assert refreshed.reasons != "texto anterior" and "mismo CUIL" in refreshed.reasons
    updates = event_model.objects.filter(pgh_id__gt=last_event, pgh_label="update").select_related("pgh_context")
    assert sorted(ev.pgh_obj_id for ev in updates) == sorted(flag[e.pk].pk for e in (kept, reopened, gone))
    assert {(ev.pgh_context.metadata["user"], ev.pgh_context.metadata["reason"]) for ev in updates} == {
        (reviewer.pk, "control de duplicados")
    }


def _hot_updates() -> tuple[int, int]:
    """Rows of enrollment_enrollment updated in this transaction, and how many of them HOT."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'enrollment_enrollment'"
        )
        row = cursor.fetchone()
    return row or (0, 0)


def test_screening_moves_write_no_index_entry(reviewer):
    """A change of state keeps the row's new version on its page (a HOT update): no index of
    enrollments covers the state or who changed it (here from nobody to the reviewer), and each
    page keeps room for the new versions."""
    cycle = CycleFactory()
    many = submitted(12, cycle, start=42_000_000)
    assert not Enrollment.objects.filter(pk__in=[e.pk for e in many], status_changed_by__isnull=False).exists()
    before_updates, before_hot = _hot_updates()
    services.screen_enrollments(enrollment_ids=[e.pk for e in many], by=reviewer)
    updates, hot = _hot_updates()
    assert set(Enrollment.objects.filter(cycle=cycle).values_list("status_changed_by", flat=True)) == {reviewer.pk}
    assert set(Enrollment.objects.filter(cycle=cycle).values_list("status", flat=True)) == {S.PENDING_REVIEW}
    assert updates - before_updates == 2 * 12
    assert hot - before_hot == updates - before_updates
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'enrollment_enrollment'::regclass"
        )
        definitions = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = 'enrollment_enrollment'::regclass")
        (options,) = cursor.fetchone()
    assert [d for d in definitions if "status" in d] == []
    assert "fillfactor=50" in (options or [])
