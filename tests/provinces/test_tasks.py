import datetime as dt

import pytest
from pghistory.models import Events

from provinces.models import Cycle
from provinces.services import close_registration_for_ended_cycles
from provinces.tasks import close_registration_for_ended_cycles as close_task
from tests.factories import CycleFactory

pytestmark = pytest.mark.django_db


def is_open(cycle):
    return Cycle.objects.get(pk=cycle.pk).registration_open


def test_periods_that_ended_stop_taking_registrations_and_rerun_changes_nothing():
    ended = CycleFactory(first_month=dt.date(2020, 5, 1), agreement__start_date=dt.date(2020, 1, 1))
    future = CycleFactory(first_month=dt.date(2099, 5, 1), agreement__end_date=dt.date(2099, 12, 31))
    assert close_task.delay().get() == 1
    assert close_task.delay().get() == 0
    assert not is_open(ended)
    assert is_open(future)


def test_a_running_period_keeps_registration_open_until_its_last_month_ends():
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1), months=4)  # May–August 2026
    assert close_registration_for_ended_cycles(today=dt.date(2026, 5, 1)) == 0
    assert close_registration_for_ended_cycles(today=dt.date(2026, 8, 31)) == 0
    assert is_open(cycle)
    assert close_registration_for_ended_cycles(today=dt.date(2026, 9, 1)) == 1
    assert not is_open(cycle)


def test_one_month_period_closes_the_day_after_its_month():
    cycle = CycleFactory(first_month=dt.date(2026, 12, 1), months=1)
    assert close_registration_for_ended_cycles(today=dt.date(2026, 12, 31)) == 0
    assert close_registration_for_ended_cycles(today=dt.date(2027, 1, 1)) == 1
    assert not is_open(cycle)


def test_the_automatic_closing_is_in_the_audit_trail():
    cycle = CycleFactory(first_month=dt.date(2020, 5, 1), agreement__start_date=dt.date(2020, 1, 1))
    close_registration_for_ended_cycles()
    event = Events.objects.tracks(cycle).get(pgh_data__registration_open=False)
    assert "terminó el período" in event.pgh_context["reason"]


def test_a_period_closed_by_hand_is_not_reopened():
    cycle = CycleFactory(first_month=dt.date(2099, 5, 1), agreement__end_date=dt.date(2099, 12, 31))
    Cycle.objects.filter(pk=cycle.pk).update(registration_open=False)
    assert close_registration_for_ended_cycles() == 0
    assert not is_open(cycle)
