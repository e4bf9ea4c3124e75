import datetime as dt

import pytest

from provinces.models import Cycle
from provinces.tasks import close_registration_for_ended_cycles
from tests.factories import CycleFactory
from tests.production.conftest import wait_until

pytestmark = pytest.mark.production


def test_real_worker_on_real_broker_closes_registration_of_ended_cycles(start_worker):
    ended = CycleFactory(first_month=dt.date(2020, 5, 1), agreement__start_date=dt.date(2020, 1, 1))
    future = CycleFactory(first_month=dt.date(2099, 5, 1), agreement__end_date=dt.date(2099, 12, 31))
    start_worker()
    close_registration_for_ended_cycles.delay()
    wait_until(lambda: not Cycle.objects.get(pk=ended.pk).registration_open)
    assert Cycle.objects.get(pk=future.pk).registration_open


def test_real_beat_sends_the_periodic_closing_to_a_real_worker(start_worker, tmp_path):
    """Beat with the database scheduler (as `make run` and docs/deploy.md start it) sends a
    periodic task through the broker and a worker runs it."""
    import os
    import subprocess
    import sys

    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from tests.production.conftest import ROOT, _test_database_url

    ended = CycleFactory(first_month=dt.date(2020, 5, 1), agreement__start_date=dt.date(2020, 1, 1))
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="test: close registration every second",
        task="provinces.tasks.close_registration_for_ended_cycles",
        interval=every_second,
    )
    start_worker()
    env = dict(os.environ, DATABASE_URL=_test_database_url(), CELERY_TASK_ALWAYS_EAGER="0")
    log = open(tmp_path / "beat.log", "w")  # noqa: SIM115 - closed with the process
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO", "--pidfile="],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: not Cycle.objects.get(pk=ended.pk).registration_open, timeout=90)
        # the schedule of the settings was written to the database by beat
        wait_until(lambda: PeriodicTask.objects.filter(name="follow-paid-installments").exists())
    finally:
        beat.terminate()
        beat.wait(20)
        log.close()
