"""A large screening pass runs its registry joins in a second session on the pass's snapshot:
it finds the same as one session alone, sees the registry as the pass does, and reports an error
of that session instead of hiding it."""

import datetime as dt
import threading

import pytest
from django.db import connection

from enrollment.screening import engine, joins
from tests.factories import CycleFactory, EnrollmentFactory, WorkerFactory, make_cuil


def _flags(result):
    return sorted((f.enrollment_id, f.kind, f.level, str(f.score), f.match_key, f.reasons) for f in result.flags)


@pytest.fixture
def screened(load_registry):
    """Enrollments, and a registry holding some of them exactly, with a typo, a DNI one keystroke
    away, a swapped birth date, and strangers."""
    cycle = CycleFactory()
    people = [
        ("Rodríguez", "Ramón Alberto", dt.date(1985, 4, 9), 30111222),
        ("Gómez", "María Laura", dt.date(1990, 7, 1), 31222333),
        ("Benítez", "Ana", dt.date(1979, 11, 23), 25444555),
        ("Quiroga", "José Luis", dt.date(1988, 2, 5), 33666777),
        ("Sosa", "Carmen", dt.date(1970, 12, 30), 20888999),
    ]
    ids = []
    for last, first, birth, dni in people:
        worker = WorkerFactory(cuil=make_cuil(dni), last_name=last, first_name=first, birth_date=birth)
        ids.append(EnrollmentFactory(worker=worker, cycle=cycle).pk)
    rows = [
        f"{make_cuil(30111222)},,Rodriguez,Ramon Alberto,1985-04-09,2026-01,2026-12",  # the same CUIL
        ",31222334,Gomes,Maria Laura,1990-07-01,2026-01,2026-12",  # a typo, DNI one keystroke away
        ",,Benitez,Ana,1979-11-23,2026-01,2026-12",  # no DNI, same name and date
        ",33666777,Quiroga,Jose Luis,1988-05-02,2026-01,2026-12",  # swapped date, same DNI
        ",40111222,Sosa,Carmen,1970-12-30,2026-01,2026-12",  # namesake born the same day
        ",41999000,Paz,Luis,1960-01-01,2026-01,2026-12",  # a stranger
    ]
    load_registry(rows)
    return ids


@pytest.mark.django_db(transaction=True)
def test_the_second_session_finds_what_one_session_finds(screened, monkeypatch):
    sessions = []
    real = joins.JoinsInSecondSession._run

    def counted(self):
        sessions.append(threading.current_thread().name)
        real(self)

    monkeypatch.setattr(joins.JoinsInSecondSession, "_run", counted)
    alone = engine.run_pass(screened, check_eligibility=False)
    assert sessions == []  # five candidates: below PARALLEL_MIN

    monkeypatch.setattr(joins, "PARALLEL_MIN", 1)
    together = engine.run_pass(screened, check_eligibility=False)
    assert sessions == ["screening-joins"]
    assert _flags(together) == _flags(alone)
    assert len(together.flags) >= 4
    assert together.stats.exact_pairs == alone.stats.exact_pairs
    assert together.stats.name_block_pairs == alone.stats.name_block_pairs


@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_the_pass_stays_in_one_session(screened, monkeypatch):
    """A second session would not see what an enclosing transaction has not committed."""
    from django.db import transaction

    monkeypatch.setattr(joins, "PARALLEL_MIN", 1)
    started = []
    monkeypatch.setattr(joins.JoinsInSecondSession, "start", lambda self: started.append(self) or self)
    with transaction.atomic():
        result = engine.run_pass(screened, check_eligibility=False)
    assert started == [] and result.flags


@pytest.mark.django_db(transaction=True)
def test_an_error_in_the_second_session_fails_the_pass(screened, monkeypatch):
    monkeypatch.setattr(joins, "PARALLEL_MIN", 1)

    def broken(cursor, **kwargs):
        cursor.execute("SELECT no_such_column FROM screen_cand")

    monkeypatch.setattr(joins, "run_joins", broken)
    with pytest.raises(Exception, match="no_such_column"):
        engine.run_pass(screened, check_eligibility=False)
    assert not connection.in_atomic_block


def test_a_snapshot_id_is_checked_before_it_is_written_into_sql():
    with pytest.raises(ValueError):
        joins.JoinsInSecondSession("x'; DROP TABLE t; --", candidates=[], load=None, settings=None)
