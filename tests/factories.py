"""factory-boy factories for the whole suite. Reference data (provinces, crops, role groups)
comes from the migrations, so factories look it up instead of creating it."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from stdnum.ar import cbu as cbu_number
from stdnum.ar import cuit as cuit_number

from enrollment.identity import normalise_name
from enrollment.models import Enrollment, Worker
from provinces.models import Agreement, AgreementQuota, Crop, Cycle, Organisation, Province, add_months
from provinces.services import grant_membership

User = get_user_model()
PASSWORD = "clave-de-prueba-123"


def province(name: str) -> Province:
    return Province.objects.get(name=name)


def crop(code: str) -> Crop:
    return Crop.objects.get(code=code)


def make_cuil(dni: int, prefix: str = "20") -> str:
    body = f"{prefix}{dni:08d}"
    digit = cuit_number.calc_check_digit(body)
    if digit == "10":  # no valid CUIL with this prefix; the issuing rule switches the prefix to 23
        body = f"23{dni:08d}"
        digit = cuit_number.calc_check_digit(body)
    return body + digit


def make_cbu(account: int) -> str:
    first = "0110599" + cbu_number.calc_check_digit("0110599")
    second = f"{account:013d}"
    second = second + cbu_number.calc_check_digit(second)
    return first + second


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organización {n}")
    kind = Organisation.Kind.PROVINCIAL_OFFICE
    province = factory.LazyFunction(lambda: province("Tucumán"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"usuario{n}")
    first_name = "Ana"
    last_name = factory.Sequence(lambda n: f"Pérez {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def make_user(role: str, organisation: Organisation | None = None, **kwargs) -> User:
    """A user holding ``role`` in ``organisation`` (a ministry when not given)."""
    if organisation is None:
        organisation, _ = Organisation.objects.get_or_create(
            name="Ministerio de Trabajo, Empleo y Seguridad Social",
            defaults={"kind": Organisation.Kind.MINISTRY, "province": None},
        )
    user = UserFactory(**kwargs)
    grant_membership(user=user, organisation=organisation, role=role)
    return User.objects.get(pk=user.pk)


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    province = factory.LazyFunction(lambda: province("Tucumán"))
    number = factory.Sequence(lambda n: f"CONV-{n:04d}")
    title = factory.LazyAttribute(lambda a: f"Convenio Interzafra {a.province.name}")
    start_date = dt.date(2026, 1, 1)
    end_date = dt.date(2026, 12, 31)
    budget = Decimal("100000000.00")
    status = Agreement.Status.ACTIVE


class AgreementQuotaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgreementQuota

    agreement = factory.SubFactory(AgreementFactory)
    crop = factory.LazyFunction(lambda: crop("cana"))
    quota = 1000


class CycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cycle
        skip_postgeneration_save = True

    agreement = factory.SubFactory(AgreementFactory)
    crop = factory.LazyFunction(lambda: crop("cana"))
    name = factory.Sequence(lambda n: f"Interzafra {n}")
    first_month = dt.date(2026, 5, 1)
    months = 4
    registration_open = True

    @factory.post_generation
    def quota(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            AgreementQuota.objects.get_or_create(
                agreement=obj.agreement, crop=obj.crop, defaults={"quota": extracted or 1000}
            )


class WorkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Worker

    cuil = factory.Sequence(lambda n: make_cuil(30_000_000 + n))
    last_name = factory.Iterator(["González", "Rodríguez", "Gómez", "Fernández", "López", "Díaz", "Martínez"])
    first_name = factory.Iterator(["María", "José", "Juan Carlos", "Ramón", "Rosa", "Luis", "Carmen"])
    last_name_norm = factory.LazyAttribute(lambda w: normalise_name(w.last_name))
    first_name_norm = factory.LazyAttribute(lambda w: normalise_name(w.first_name))
    birth_date = factory.LazyFunction(lambda: dt.date(1980, 1, 1) + dt.timedelta(days=random.randint(0, 8000)))
    sex = Worker.Sex.FEMALE
    nationality = "Argentina"
    province = factory.LazyFunction(lambda: province("Tucumán"))
    locality = "Famaillá"
    cbu = factory.Sequence(lambda n: make_cbu(1000 + n))
    registered_by = factory.SubFactory(OrganisationFactory)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    worker = factory.SubFactory(WorkerFactory)
    cycle = factory.SubFactory(CycleFactory)
    organisation = factory.LazyAttribute(lambda e: e.worker.registered_by)
    status = Enrollment.Status.SUBMITTED


# --- training ----------------------------------------------------------------------------------
from training.models import Course, EmploymentOffice, Provider  # noqa: E402


def agrarian_history(worker: Worker, *, before: dt.date, months: int, activity: str = "agrarian") -> None:
    """SIPA pay for ``worker`` in each of the ``months`` months just before ``before`` (a
    period's first month): what the entitlement table counts (``months`` of 8 or more → 4 months
    of aid with the default table)."""
    from enrollment.screening.models import Remuneration

    Remuneration.objects.bulk_create(
        Remuneration(
            cuil=worker.cuil,
            month=add_months(before, -k),
            employer_cuit="30500000001",
            activity=activity,
            gross=Decimal("150000.00"),
        )
        for k in range(1, months + 1)
    )


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Centro de Formación {n}")
    province = factory.LazyFunction(lambda: province("Tucumán"))


class EmploymentOfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmploymentOffice

    name = factory.Sequence(lambda n: f"Oficina de Empleo {n}")
    province = factory.LazyFunction(lambda: province("Tucumán"))
    locality = "Famaillá"


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    provider = factory.SubFactory(ProviderFactory)
    kind = Course.Kind.VOCATIONAL
    topic = factory.Sequence(lambda n: f"Operación de maquinaria agrícola {n}")
    place = "Escuela Agrotécnica"
    province = factory.LazyAttribute(lambda c: c.provider.province or province("Tucumán"))
    start_date = dt.date(2026, 6, 1)
    end_date = dt.date(2026, 7, 31)
    capacity = 20
    sessions = 10


def eligible_history(worker: Worker, first_month: dt.date = dt.date(2026, 5, 1), months: int = 5) -> None:
    """SIPA data that meets the eligibility rules for a period starting ``first_month``: the SMVM
    of the year before and ``months`` months of agrarian pay, the last two months before it.
    Without SIPA data screening fails closed (a blocking *no SIPA data* flag), so tests about
    other findings give the worker a history first."""
    from enrollment.screening.models import MinimumWage, Remuneration
    from provinces.models import add_months

    for back in range(1, 14):
        MinimumWage.objects.get_or_create(month=add_months(first_month, -back), defaults={"amount": Decimal("300000")})
    for back in range(months + 1, 1, -1):
        Remuneration.objects.get_or_create(
            cuil=worker.cuil,
            month=add_months(first_month, -back),
            employer_cuit="30500010912",
            defaults={"activity": "agrarian", "gross": Decimal("400000.00")},
        )
