"""A small programme in two provinces, with users of every role, for the reports app tests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from enrollment.models import Enrollment
from provinces.roles import Role
from tests.factories import (
    AgreementFactory,
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    WorkerFactory,
    crop,
    make_user,
    province,
)

S = Enrollment.Status


@dataclass
class World:
    tuc_agreement: object
    mza_agreement: object
    tuc_cane: object
    tuc_citrus: object
    mza_grapes: object
    tuc_office: object
    mza_office: object
    union: object
    users: dict


@pytest.fixture
def world(db) -> World:
    tucuman, mendoza = province("Tucumán"), province("Mendoza")
    tuc_office = OrganisationFactory(name="Secretaría de Empleo Tucumán", province=tucuman)
    mza_office = OrganisationFactory(name="Subsecretaría de Trabajo Mendoza", province=mendoza)
    union = OrganisationFactory(name="UATRE Tucumán", kind="union", province=tucuman)
    tuc_agreement = AgreementFactory(province=tucuman, number="CONV-TUC", budget=Decimal("1234567.89"))
    mza_agreement = AgreementFactory(province=mendoza, number="CONV-MZA", budget=Decimal("500000.00"))
    tuc_cane = CycleFactory(agreement=tuc_agreement, crop=crop("cana"), quota=10)
    tuc_citrus = CycleFactory(agreement=tuc_agreement, crop=crop("citricos"), quota=5)
    mza_grapes = CycleFactory(agreement=mza_agreement, crop=crop("vid"), quota=8)

    def enrol(cycle, organisation, status, n, **worker):
        for _ in range(n):
            w = WorkerFactory(registered_by=organisation, province=cycle.agreement.province, **worker)
            EnrollmentFactory(worker=w, cycle=cycle, organisation=organisation, status=status)

    # Tucumán: 3 approved + 2 submitted cane by the office, 1 rejected cane and 2 active citrus
    # by the union; Mendoza: 4 approved grapes and 1 withdrawn.
    enrol(tuc_cane, tuc_office, S.APPROVED, 3)
    enrol(tuc_cane, tuc_office, S.SUBMITTED, 2)
    enrol(tuc_cane, union, S.REJECTED, 1)
    enrol(tuc_citrus, union, S.ACTIVE, 2)
    enrol(mza_grapes, mza_office, S.APPROVED, 4)
    enrol(mza_grapes, mza_office, S.WITHDRAWN, 1)
    users = {
        "reviewer": make_user(Role.MINISTRY_REVIEWER),
        "payments": make_user(Role.PAYMENTS_OFFICER),
        "auditor": make_user(Role.AUDITOR),
        "tucuman": make_user(Role.PROVINCIAL_OFFICER, tuc_office),
        "mendoza": make_user(Role.PROVINCIAL_OFFICER, mza_office),
        "union": make_user(Role.UNION_OFFICER, union),
    }
    return World(tuc_agreement, mza_agreement, tuc_cane, tuc_citrus, mza_grapes, tuc_office, mza_office, union, users)


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user
