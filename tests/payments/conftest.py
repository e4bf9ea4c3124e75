import datetime as dt

import pytest

from enrollment.models import Enrollment
from provinces.roles import Role
from tests.factories import CycleFactory, EnrollmentFactory, agrarian_history, make_user


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Bank files go to file storage: a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def officer():
    return make_user(Role.PAYMENTS_OFFICER)


@pytest.fixture
def second_officer():
    return make_user(Role.PAYMENTS_OFFICER)


@pytest.fixture
def reviewer():
    return make_user(Role.MINISTRY_REVIEWER)


@pytest.fixture
def approved(reviewer):
    """An approved enrollment (May–August 2026) with its four installments scheduled: the worker
    has 8 months of agrarian pay before the period (``history``), which the default entitlement
    table pays with 4 months."""
    from enrollment.services import approve_enrollment

    def make(history: int = 8, **kwargs):
        kwargs.setdefault("cycle", CycleFactory(first_month=dt.date(2026, 5, 1), months=4))
        enrollment = EnrollmentFactory(status=Enrollment.Status.PENDING_REVIEW, **kwargs)
        agrarian_history(enrollment.worker, before=enrollment.cycle.first_month, months=history)
        return approve_enrollment(enrollment=enrollment, by=reviewer)

    return make
