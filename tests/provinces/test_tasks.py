import datetime as dt

import pytest

from provinces.models import Cycle
from provinces.tasks import close_registration_for_started_cycles
from tests.factories import CycleFactory

pytestmark = pytest.mark.django_db


def test_cycles_that_started_stop_taking_registrations_and_rerun_changes_nothing():
    started = CycleFactory(first_month=dt.date(2020, 5, 1), agreement__start_date=dt.date(2020, 1, 1))
    future = CycleFactory(first_month=dt.date(2099, 5, 1), agreement__end_date=dt.date(2099, 12, 31))
    assert close_registration_for_started_cycles.delay().get() == 1
    assert close_registration_for_started_cycles.delay().get() == 0
    assert not Cycle.objects.get(pk=started.pk).registration_open
    assert Cycle.objects.get(pk=future.pk).registration_open
