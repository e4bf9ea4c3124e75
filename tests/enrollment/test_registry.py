import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from enrollment import registration
from enrollment.models import Enrollment, Worker
from provinces.roles import Role
from tests.factories import CycleFactory, OrganisationFactory, make_cbu, make_cuil, make_user, province

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))


def data(**overrides):
    values = {
        "cuil": make_cuil(28_123_456),
        "last_name": "  Núñez   de la  Cruz ",
        "first_name": "María José",
        "birth_date": "15/03/1985",
        "sex": "F",
        "nationality": "Bolivia",
        "phone": "381 4000000",
        "address": "Calle 1",
        "province": "Tucumán",
        "locality": "Famaillá",
        "cbu": make_cbu(77),
        "renatre": "R-1",
    }
    values.update(overrides)
    return values


def test_registers_worker_with_names_as_typed_and_normalised(officer):
    worker = registration.register_worker(by=officer, data=data()).worker
    worker.refresh_from_db()
    assert worker.last_name == "Núñez de la Cruz" and worker.last_name_norm == "NUNEZ DE LA CRUZ"
    assert worker.first_name_norm == "MARIA JOSE"
    assert worker.dni == "28123456"
    assert worker.birth_date == dt.date(1985, 3, 15)
    assert worker.nationality == "Bolivia"
    assert worker.registered_by.memberships.filter(user=officer).exists()


def test_cuil_with_dashes_is_accepted_and_stored_compact(officer):
    cuil = make_cuil(28_123_456)
    worker = registration.register_worker(by=officer, data=data(cuil=f"{cuil[:2]}-{cuil[2:10]}-{cuil[10]}")).worker
    assert worker.cuil == cuil


def test_same_cuil_updates_the_worker_instead_of_duplicating(officer):
    first = registration.register_worker(by=officer, data=data()).worker
    second = registration.register_worker(
        by=officer, data={"cuil": first.cuil, "phone": "381 999", "locality": "Monteros"}
    ).worker
    assert second.pk == first.pk
    assert Worker.objects.count() == 1
    first.refresh_from_db()
    assert (first.phone, first.locality, first.last_name) == ("381 999", "Monteros", "Núñez de la Cruz")


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"cuil": "20281234560"}, "cuil", "dígito verificador"),
        ({"cuil": ""}, "cuil", "obligatorio"),
        ({"cbu": "0110599520000001234567"}, "cbu", "no es válido"),
        ({"birth_date": "30/02/1990"}, "birth_date", "no existe"),
        ({"birth_date": (dt.date.today() + dt.timedelta(days=2)).isoformat()}, "birth_date", "futura"),
        ({"birth_date": "01/01/1900"}, "birth_date", "plausible"),
        ({"sex": "Q"}, "sex", "no reconocido"),
        ({"province": "Narnia"}, "province", "desconocida"),
        ({"locality": ""}, "locality", "obligatorio"),
    ],
)
def test_invalid_data_is_refused_with_message_keyed_by_field(officer, overrides, field, fragment):
    with pytest.raises(ValidationError) as error:
        registration.register_worker(by=officer, data=data(**overrides))
    assert fragment in " ".join(error.value.message_dict[field])
    assert not Worker.objects.exists()


def test_cbu_is_optional(officer):
    assert registration.register_worker(by=officer, data=data(cbu="")).worker.cbu == ""


def test_officer_cannot_register_residents_of_another_province(officer):
    with pytest.raises(PermissionDenied):
        registration.register_worker(by=officer, data=data(province="Mendoza"))


def test_provincial_union_registers_its_province_and_national_union_any():
    local = OrganisationFactory(kind="union", province=province("Tucumán"))
    national = OrganisationFactory(kind="union", province=None)
    local_officer = make_user(Role.UNION_OFFICER, local)
    national_officer = make_user(Role.UNION_OFFICER, national)
    assert registration.register_worker(by=local_officer, data=data()).worker.registered_by == local
    with pytest.raises(PermissionDenied):
        registration.register_worker(by=local_officer, data=data(cuil=make_cuil(29_000_001), province="Mendoza"))
    registered = registration.register_worker(
        by=national_officer, data=data(cuil=make_cuil(29_000_002), province="Mendoza")
    )
    assert registered.worker.pk


@pytest.mark.parametrize("role", [Role.MINISTRY_REVIEWER, Role.PAYMENTS_OFFICER, Role.AUDITOR])
def test_national_roles_do_not_register_workers(role):
    with pytest.raises(PermissionDenied):
        registration.register_worker(by=make_user(role), data=data())


def test_register_and_enroll_saves_nothing_when_enrollment_is_refused(officer):
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    with pytest.raises(ValidationError, match="18 años"):
        registration.register_and_enroll(by=officer, data=data(birth_date="02/05/2008"), cycle=cycle)
    assert not Worker.objects.exists() and not Enrollment.objects.exists()
    result = registration.register_and_enroll(by=officer, data=data(), cycle=cycle)
    assert result.enrollment.worker == result.worker and result.enrollment.cycle == cycle


@pytest.mark.django_db(transaction=True)
def test_two_officers_registering_the_same_cuil_at_once_make_one_worker():
    import threading

    from django.db import connection

    officers = [make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán"))) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(officer):
        try:
            barrier.wait()
            registration.register_worker(by=officer, data=data())
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(error.message_dict["cuil"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(o,)) for o in officers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Worker.objects.count() == 1
    assert len(outcomes) == 2 and outcomes.count("ok") >= 1
    assert all(o == "ok" or "se acaba de registrar" in o for o in outcomes)


@pytest.mark.parametrize(
    ("field", "value"),
    [("cuil", "2012345678"), ("cuil", "2012345678X"), ("cbu", "123"), ("cbu", "0110599;50000000000001")],
)
def test_the_database_keeps_the_shape_of_cuil_and_cbu(officer, field, value):
    from django.db import IntegrityError, transaction

    worker = registration.register_worker(by=officer, data=data()).worker
    Worker.objects.filter(pk=worker.pk).update(cbu="")  # a worker without CBU is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        Worker.objects.filter(pk=worker.pk).update(**{field: value})
