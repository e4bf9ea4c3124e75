import datetime as dt

import pytest

from provinces.models import Cycle
from provinces.tasks import close_registration_for_started_cycles
from tests.factories import CycleFactory
from tests.production.conftest import wait_until

pytestmark = pytest.mark.production


def test_real_worker_on_real_broker_closes_registration_of_started_cycles(start_worker):
    started = CycleFactory(first_month=dt.date(2020, 5, 1), agreement__start_date=dt.date(2020, 1, 1))
    future = CycleFactory(first_month=dt.date(2099, 5, 1), agreement__end_date=dt.date(2099, 12, 31))
    start_worker()
    close_registration_for_started_cycles.delay()
    wait_until(lambda: not Cycle.objects.get(pk=started.pk).registration_open)
    assert Cycle.objects.get(pk=future.pk).registration_open
