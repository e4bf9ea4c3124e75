"""Long survey lists are applied in chunks by parallel database sessions (``apply_import``).

These tests commit for real (``transaction=True``): each chunk runs in its own session, which
cannot see a test's uncommitted transaction.
"""

import datetime as dt
import threading

import pytest
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connection, connections

from enrollment import imports
from enrollment.imports import apply
from enrollment.models import Enrollment, ImportApplyPart, ImportJob, ImportRowError, Worker
from enrollment.selectors import status_history
from provinces.roles import Role
from tests.enrollment.survey_files import csv_bytes, row, upload
from tests.factories import CycleFactory, EnrollmentFactory, OrganisationFactory, WorkerFactory, make_user, province

J = ImportJob.Status


@pytest.fixture
def long_lists(settings):
    """Lists of four rows or more count as long: applied in chunks of two rows by two sessions."""
    settings.SURVEY_LIST_PARALLEL_MIN_ROWS = 4
    settings.SURVEY_LIST_APPLY_SESSIONS = 2
    settings.SURVEY_LIST_APPLY_CHUNK_ROWS = 2


@pytest.fixture
def officer():
    return make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))


def confirmed(officer, cycle, rows) -> ImportJob:
    job = imports.create_import_job(by=officer, upload=upload(csv_bytes(rows)), cycle=cycle)
    job = imports.analyse_import(job_id=job.pk)
    assert job.status == J.READY, job.error_message
    return imports.confirm_import(job=job, by=officer)


def statement_transactions(table: str, where: str, params) -> set[str]:
    """The transactions (``xmin``) that wrote the rows."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT xmin::text FROM {table} WHERE {where}", params)
        return {value for (value,) in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_a_long_list_is_applied_in_chunks_with_the_same_result(long_lists, officer):
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    same = {"last_name": "Núñez", "birth_date": dt.date(1985, 3, 15)}  # the same people as rows 1 and 2
    moved = WorkerFactory(cuil=row(1)["cuil"], first_name="José 1", phone="", locality="Monteros", **same)
    enrolled = WorkerFactory(cuil=row(2)["cuil"], first_name="José 2", **same)
    EnrollmentFactory(worker=enrolled, cycle=cycle)
    job = confirmed(officer, cycle, [row(n) for n in range(1, 8)])

    job = imports.apply_import(job_id=job.pk)

    assert job.status == J.DONE
    assert (job.created_workers, job.updated_workers, job.created_enrollments, job.over_quota) == (5, 2, 6, 0)
    parts = list(ImportApplyPart.objects.filter(job=job).order_by("part"))
    assert [(p.part, p.parts, p.rows) for p in parts] == [(0, 4, 2), (1, 4, 2), (2, 4, 2), (3, 4, 1)]
    assert sum(p.created_enrollments for p in parts) == 6
    moved.refresh_from_db()
    assert (moved.phone, moved.locality) == ("381 4000000", "Famaillá")
    assert Enrollment.objects.filter(cycle=cycle).count() == 7
    assert Worker.objects.filter(cuil__in=[row(n)["cuil"] for n in range(1, 8)]).count() == 7
    # Each chunk committed on its own: its part record and its rows in one transaction, four
    # chunks in four different ones.
    chunks = statement_transactions("enrollment_importapplypart", "job_id = %s", [job.pk])
    created = statement_transactions(
        "enrollment_enrollment", "cycle_id = %s AND status_reason = %s", [cycle.pk, imports.import_reason(job)]
    )
    assert len(chunks) == 4 and created <= chunks and len(created) >= 3
    # Audited like a list applied in one transaction: who confirmed and why.
    new = Enrollment.objects.get(cycle=cycle, worker__cuil=row(7)["cuil"])
    (created_event,) = status_history([new.pk])
    assert created_event["by"] == officer and created_event["reason"] == imports.import_reason(job)
    assert new.worker.events.get().pgh_context.metadata["reason"] == imports.import_reason(job)


@pytest.mark.django_db(transaction=True)
def test_a_chunk_that_fails_leaves_whole_chunks_and_a_retry_finishes(long_lists, officer):
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    rows = [row(n) for n in range(1, 9)]
    job = confirmed(officer, cycle, rows)
    by_cuil = sorted(r["cuil"] for r in rows)
    chunk_of = {cuil: index // 2 for index, cuil in enumerate(by_cuil)}  # 4 chunks of 2 CUILs
    broken = by_cuil[-1]  # in the last chunk
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_worker() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_worker BEFORE INSERT ON enrollment_worker FOR EACH ROW "
            f"WHEN (NEW.cuil = '{broken}') EXECUTE FUNCTION refuse_worker()"
        )
    try:
        with pytest.raises(DatabaseError, match="disk full"):
            imports.apply_import(job_id=job.pk)
        job.refresh_from_db()
        assert job.status == J.CONFIRMED
        recorded = set(ImportApplyPart.objects.filter(job=job).values_list("part", flat=True))
        assert 3 not in recorded
        enrolled = set(Enrollment.objects.filter(cycle=cycle).values_list("worker__cuil", flat=True))
        assert enrolled == {cuil for cuil in by_cuil if chunk_of[cuil] in recorded}, "whole chunks only"
        assert set(Worker.objects.values_list("cuil", flat=True)) == enrolled
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse_worker ON enrollment_worker")
            cursor.execute("DROP FUNCTION refuse_worker()")

    job = imports.apply_import(job_id=job.pk)

    assert job.status == J.DONE
    assert (job.created_workers, job.created_enrollments) == (8, 8)
    assert Enrollment.objects.filter(cycle=cycle).count() == 8
    assert ImportApplyPart.objects.filter(job=job).count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_chunk_does_not_wait_for_ever_for_a_lock(long_lists, officer, monkeypatch):
    """The coordinating transaction waits for its sessions outside PostgreSQL, which cannot see a
    deadlock there; a chunk blocked by somebody else's lock gives up, and the task is retried."""
    monkeypatch.setattr(apply, "CHUNK_LOCK_TIMEOUT", "300ms")
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    rows = [row(n) for n in range(1, 5)]
    job = confirmed(officer, cycle, rows)
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:  # a form registering one of the list's people, not committed
            cursor.execute(
                "INSERT INTO enrollment_worker (cuil, last_name, first_name, last_name_norm, first_name_norm,"
                " birth_date, sex, nationality, phone, address, province_id, locality, cbu, renatre,"
                " registered_by_id, created_at, updated_at)"
                " SELECT %s, 'Núñez', 'José', 'NUNEZ', 'JOSE', '1985-03-15', 'M', 'Argentina', '', '',"
                " province_id, 'Famaillá', '', '', id, now(), now() FROM provinces_organisation WHERE id = %s",
                [rows[0]["cuil"], job.organisation_id],
            )
        with pytest.raises(OperationalError):
            imports.apply_import(job_id=job.pk)
        other.rollback()
    finally:
        other.close()
    job.refresh_from_db()
    assert job.status == J.CONFIRMED

    job = imports.apply_import(job_id=job.pk)

    assert job.status == J.DONE and job.created_enrollments == 4


@pytest.mark.django_db(transaction=True)
def test_a_long_list_without_places_for_all_is_applied_in_one_transaction(long_lists, officer):
    cycle = CycleFactory(quota=3, first_month=dt.date(2026, 5, 1))
    job = confirmed(officer, cycle, [row(n) for n in range(1, 7)])

    job = imports.apply_import(job_id=job.pk)

    assert (job.status, job.created_enrollments, job.over_quota) == (J.DONE, 3, 3)
    assert not ImportApplyPart.objects.filter(job=job).exists()
    left_out = ImportRowError.objects.filter(job=job).values_list("row_number", flat=True)
    assert sorted(left_out) == [5, 6, 7], "the first rows of the file get the places"


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_a_long_list_apply_it_once(long_lists, officer):
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    job = confirmed(officer, cycle, [row(n) for n in range(1, 9)])
    barrier = threading.Barrier(2)
    outcomes = []

    def deliver():
        try:
            barrier.wait()
            outcomes.append(imports.apply_import(job_id=job.pk).created_enrollments)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [8, 8], "the second delivery waits for the first and finds the job done"
    assert Enrollment.objects.filter(cycle=cycle).count() == 8
    assert ImportApplyPart.objects.filter(job=job).count() == 4


@pytest.mark.django_db
def test_inside_a_callers_transaction_a_long_list_is_applied_in_it(long_lists, officer):
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    job = confirmed(officer, cycle, [row(n) for n in range(1, 6)])

    job = imports.apply_import(job_id=job.pk)

    assert (job.status, job.created_enrollments) == (J.DONE, 5)
    assert not ImportApplyPart.objects.filter(job=job).exists()


@pytest.mark.django_db(transaction=True)
def test_a_crash_after_every_chunk_committed_is_finished_by_the_retry(long_lists, officer, worker_lost_before_done):
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    job = confirmed(officer, cycle, [row(n) for n in range(1, 6)])
    with pytest.raises(ConnectionError):
        imports.apply_import(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == J.CONFIRMED and ImportApplyPart.objects.filter(job=job).count() == 3
    assert Enrollment.objects.filter(cycle=cycle).count() == 5
    worker_lost_before_done.recover()

    job = imports.apply_import(job_id=job.pk)

    assert job.status == J.DONE
    assert (job.created_workers, job.created_enrollments) == (5, 5), "counted from the recorded chunks"
    assert Enrollment.objects.filter(cycle=cycle).count() == 5
