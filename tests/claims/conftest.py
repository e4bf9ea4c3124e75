import datetime as dt
from decimal import Decimal

import pytest

from enrollment.models import Enrollment
from enrollment.screening.models import MatchFlag
from payments.models import Installment
from provinces.models import Organisation
from provinces.roles import Role
from tests.factories import (
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    agrarian_history,
    make_user,
    province,
)


@pytest.fixture
def office():
    return OrganisationFactory(province=province("Tucumán"))


@pytest.fixture
def officer(office):
    return make_user(Role.PROVINCIAL_OFFICER, office)


@pytest.fixture
def mendoza_officer():
    return make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Mendoza")))


@pytest.fixture
def union():
    return OrganisationFactory(kind=Organisation.Kind.UNION, province=province("Tucumán"))


@pytest.fixture
def union_officer(union):
    return make_user(Role.UNION_OFFICER, union)


@pytest.fixture
def reviewer():
    return make_user(Role.MINISTRY_REVIEWER)


@pytest.fixture
def payer():
    return make_user(Role.PAYMENTS_OFFICER)


@pytest.fixture
def auditor():
    return make_user(Role.AUDITOR)


@pytest.fixture
def rejected(reviewer, office):
    """A rejected enrollment of a worker registered by the Tucumán office."""
    from enrollment.services import reject_enrollment

    enrollment = EnrollmentFactory(status=Enrollment.Status.PENDING_REVIEW, worker__registered_by=office)
    return reject_enrollment(enrollment=enrollment, by=reviewer, reason="No figura en el padrón de cosecha")


@pytest.fixture
def approved(reviewer, office):
    """An approved enrollment (May–August 2026) with four installments at ARS 64.000,00 (8 months
    of agrarian pay before the period: 4 months with the default entitlement table)."""
    from enrollment.services import approve_enrollment
    from payments.models import Rate

    Rate.objects.get_or_create(
        effective_month=dt.date(2026, 1, 1), defaults={"amount": Decimal("64000.00"), "resolution": "Res. 1/2026"}
    )
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1), months=4)
    enrollment = EnrollmentFactory(status=Enrollment.Status.PENDING_REVIEW, cycle=cycle, worker__registered_by=office)
    agrarian_history(enrollment.worker, before=cycle.first_month, months=8)
    return approve_enrollment(enrollment=enrollment, by=reviewer)


@pytest.fixture
def held(approved):
    """The May installment of ``approved``, held by the monthly re-screening."""
    from payments.installments import hold_installments

    hold_installments(month=dt.date(2026, 5, 1), conflicts={approved.pk: "Cobra una pensión no contributiva"})
    return Installment.objects.get(enrollment=approved, month=dt.date(2026, 5, 1))


@pytest.fixture
def open_flag(office):
    enrollment = EnrollmentFactory(status=Enrollment.Status.PENDING_REVIEW, worker__registered_by=office)
    return MatchFlag.objects.create(
        enrollment=enrollment,
        kind=MatchFlag.Kind.REGISTRY,
        level=MatchFlag.Level.SAME,
        status=MatchFlag.Status.OPEN,
        score=Decimal("0.950"),
        reasons="mismo DNI en el padrón de pensiones",
        match_key="registry:1:30000001",
    )
