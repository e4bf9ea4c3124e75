"""Celery beat: the periodic tasks it sends exist, its database scheduler takes the schedule of
the settings, and ``make run`` starts it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent


def test_every_periodic_task_is_a_registered_task():
    app.loader.import_default_modules()
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "provinces.tasks.close_registration_for_ended_cycles",
        "payments.tasks.follow_paid_installments_task",
        "notifications.tasks.send_due_messages_task",
    } <= tasks
    assert tasks <= set(app.tasks)
    assert "unknown.task" not in app.tasks


@pytest.mark.django_db
def test_the_database_scheduler_writes_the_schedule_of_the_settings():
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import ModelEntry

    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    # What DatabaseScheduler.update_from_dict does on start for each entry of the settings (the
    # scheduler itself closes the connection, which a test transaction cannot survive).
    for name, fields in app.conf.beat_schedule.items():
        ModelEntry.from_entry(name, app=app, **fields)
    closing = PeriodicTask.objects.get(name="close-registration-for-ended-cycles")
    assert closing.task == "provinces.tasks.close_registration_for_ended_cycles" and closing.enabled
    assert (closing.crontab.minute, closing.crontab.hour) == ("5", "0")
    assert PeriodicTask.objects.filter(name="follow-paid-installments", enabled=True).exists()


def test_make_run_starts_beat_and_stops_it_with_the_rest():
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    command = module.beat_command()
    assert command[1:5] == ["-A", "config", "beat", "--loglevel"]
    assert "--pidfile=" in command  # no pid file left in the checkout
    source = (ROOT / "scripts" / "run.py").read_text()
    assert "for proc in (server, beat, worker):" in source  # terminated on Ctrl-C
