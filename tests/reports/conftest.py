"""A small programme in two provinces, with users of every role, for the reports app tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from enrollment.models import Enrollment
from enrollment.screening.models import MatchFlag
from payments.models import Installment, Rate
from provinces.roles import Role
from tests.factories import (
    AgreementFactory,
    CourseFactory,
    CycleFactory,
    EmploymentOfficeFactory,
    EnrollmentFactory,
    OrganisationFactory,
    ProviderFactory,
    WorkerFactory,
    crop,
    make_user,
    province,
)
from tests.twofactor import sign_in
from training.models import Referral

S = Enrollment.Status
IS = Installment.Status
K, L, F = MatchFlag.Kind, MatchFlag.Level, MatchFlag.Status
R, RL = Referral.Status, Referral.Line


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
        sign_in(client, user)
        return client

    return as_user


@dataclass
class Activity:
    """What happened to the world's enrollments: installments, screening flags, referrals."""

    world: World
    tuc_course: object
    mza_course: object


@pytest.fixture
def activity(world) -> Activity:
    """Installments in three months at every stage, flags of every kind and status, and
    referrals with every outcome, in both provinces (one Mendoza worker on a Tucumán course)."""
    rate = Rate.objects.order_by("effective_month").first()

    def pay(enrollment, plan):
        for number, (month, status, amount) in enumerate(plan, start=1):
            Installment.objects.create(
                enrollment=enrollment,
                worker=enrollment.worker,
                agreement=enrollment.cycle.agreement,
                province=enrollment.cycle.agreement.province,
                number=number,
                month=month,
                rate=rate,
                amount=Decimal(amount),
                status=status,
                cancelled_at=timezone.now() if status == IS.CANCELLED else None,
            )

    may, june, july = dt.date(2026, 5, 1), dt.date(2026, 6, 1), dt.date(2026, 7, 1)
    cane = list(Enrollment.objects.filter(cycle=world.tuc_cane, status=S.APPROVED).order_by("pk"))
    citrus = list(Enrollment.objects.filter(cycle=world.tuc_citrus, status=S.ACTIVE).order_by("pk"))
    grapes = list(Enrollment.objects.filter(cycle=world.mza_grapes, status=S.APPROVED).order_by("pk"))
    for enrollment, june_status in zip(cane, [IS.PAID, IS.REJECTED, IS.HELD], strict=True):
        pay(enrollment, [(may, IS.PAID, "95000.50"), (june, june_status, "95000.50")])
    pay(citrus[0], [(may, IS.PAID, "80000.00"), (june, IS.DUE, "80000.00")])
    pay(citrus[1], [(may, IS.PAID, "80000.00"), (june, IS.IN_BATCH, "80000.00")])
    for enrollment, june_status in zip(grapes, [IS.PAID, IS.PAID, IS.HELD, IS.CANCELLED], strict=True):
        pay(enrollment, [(june, june_status, "110000.25"), (july, IS.DUE, "110000.25")])

    def flag(enrollment, kind, level, status, key):
        MatchFlag.objects.create(
            enrollment=enrollment,
            kind=kind,
            level=level,
            status=status,
            score=Decimal("0.900"),
            reasons="coincidencia de prueba",
            match_key=key,
        )

    flag(cane[0], K.PROGRAMME, L.SAME, F.OPEN, "a")
    flag(cane[1], K.REGISTRY, L.POSSIBLE, F.OPEN, "b")
    flag(cane[1], K.REGISTRY, L.POSSIBLE, F.NOT_SAME, "c")
    flag(grapes[0], K.EMPLOYMENT, L.POSSIBLE, F.CLEARED, "d")
    flag(grapes[1], K.ELIGIBILITY, L.SAME, F.SAME_PERSON, "e")
    flag(grapes[2], K.PROGRAMME, L.POSSIBLE, F.OPEN, "f")
    flag(grapes[3], K.REGISTRY, L.SAME, F.OPEN, "g")

    tucuman, mendoza = world.tuc_agreement.province, world.mza_agreement.province
    tuc_course = CourseFactory(provider=ProviderFactory(province=tucuman), province=tucuman)
    mza_course = CourseFactory(provider=ProviderFactory(province=mendoza), province=mendoza)
    office = EmploymentOfficeFactory(province=tucuman)
    officer = world.users["reviewer"]

    def refer(enrollment, line, status, *, course=None, office=None, placed=False):
        Referral.objects.create(
            enrollment=enrollment,
            worker=enrollment.worker,
            line=line,
            course=course,
            office=office,
            status=status,
            job_placement=placed,
            employer="Finca El Ceibo" if placed else "",
            referred_on=dt.date(2026, 6, 10),
            started_on=dt.date(2026, 6, 15) if status in (R.ATTENDING, R.COMPLETED, R.DROPPED) else None,
            referred_by=officer,
        )

    refer(cane[0], RL.VOCATIONAL, R.COMPLETED, course=tuc_course, placed=True)
    refer(cane[1], RL.SELF_EMPLOYMENT, R.ATTENDING)
    refer(cane[2], RL.JOB_PLACEMENT, R.DECLINED, office=office)
    refer(citrus[0], RL.SELF_EMPLOYMENT, R.REFERRED)
    refer(citrus[1], RL.VOCATIONAL, R.DROPPED, course=tuc_course)
    refer(grapes[0], RL.VOCATIONAL, R.COMPLETED, course=mza_course, placed=True)
    refer(grapes[1], RL.SELF_EMPLOYMENT, R.NO_SHOW)
    refer(grapes[2], RL.SELF_EMPLOYMENT, R.ACCEPTED)
    # A Mendoza beneficiary on a course held in Tucumán: Tucumán's officers follow its course.
    refer(grapes[3], RL.VOCATIONAL, R.ATTENDING, course=tuc_course)
    return Activity(world, tuc_course, mza_course)


@dataclass
class TwoUnions:
    """The activity, plus a second union (a national one) with enrollments in both provinces."""

    activity: Activity
    union_b: object
    tuc_worker_b: object
    mza_worker_b: object

    @property
    def world(self) -> World:
        return self.activity.world


@pytest.fixture
def two_unions(activity) -> TwoUnions:
    """FATRE, a national union, enrolled one Tucumán cane worker (May paid, June held; the person
    was first registered by UATRE) and one Mendoza grapes worker (June rejected, July due): so a
    province's figures hold another union's rows, a union's figures span two provinces, and a
    union that registered a person does not see the installments of an enrollment it did not."""
    world = activity.world
    union_b = OrganisationFactory(name="FATRE", kind="union", province=None)
    world.users["union_b"] = make_user(Role.UNION_OFFICER, union_b)
    rate = Rate.objects.order_by("effective_month").first()
    may, june, july = dt.date(2026, 5, 1), dt.date(2026, 6, 1), dt.date(2026, 7, 1)

    def enrol(cycle, plan, registered_by=union_b):
        worker = WorkerFactory(registered_by=registered_by, province=cycle.agreement.province)
        enrollment = EnrollmentFactory(worker=worker, cycle=cycle, organisation=union_b, status=S.APPROVED)
        for number, (month, status, amount, reason) in enumerate(plan, start=1):
            Installment.objects.create(
                enrollment=enrollment,
                worker=worker,
                agreement=cycle.agreement,
                province=cycle.agreement.province,
                number=number,
                month=month,
                rate=rate,
                amount=Decimal(amount),
                status=status,
                hold_reason=reason if status == IS.HELD else "",
                bank_reason=reason if status == IS.REJECTED else "",
            )
        return worker

    tuc_worker = enrol(
        world.tuc_cane,
        [(may, IS.PAID, "95000.50", ""), (june, IS.HELD, "95000.50", "Coincide con el padrón de otro programa")],
        registered_by=world.union,  # UATRE registered the person first; FATRE enrolled them
    )
    mza_worker = enrol(
        world.mza_grapes, [(june, IS.REJECTED, "110000.25", "Cuenta cerrada"), (july, IS.DUE, "110000.25", "")]
    )
    return TwoUnions(activity, union_b, tuc_worker, mza_worker)
