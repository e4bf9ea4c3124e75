"""Worker registration through the API (``enrollment.registration.register_worker``)."""

import pytest

from enrollment.models import Worker
from provinces.roles import Role
from tests.api.conftest import client_for
from tests.factories import OrganisationFactory, make_cbu, make_cuil, make_user, province

pytestmark = pytest.mark.django_db


def worker_data(n: int, **extra):
    return {
        "cuil": make_cuil(25_000_000 + n),
        "last_name": "Quispe",
        "first_name": "Rosa",
        "birth_date": "1985-03-02",
        "sex": "F",
        "nationality": "Bolivia",
        "province": province("Tucumán").pk,
        "locality": "Monteros",
        **extra,
    }


@pytest.fixture
def union_officer():
    return make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union", province=province("Tucumán")))


def test_union_registers_one_worker(union_officer):
    response = client_for(union_officer).post("/api/v1/workers/", worker_data(1), format="json")
    assert response.status_code == 201, response.json()
    worker = Worker.objects.get(cuil=response.json()["cuil"])
    assert worker.registered_by == union_officer.memberships.get().organisation


def test_bulk_registration_is_all_or_nothing(union_officer):
    items = [worker_data(2), worker_data(3, birth_date="2090-01-01")]
    response = client_for(union_officer).post("/api/v1/workers/bulk/", {"items": items}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]["items"]) == ["1"]
    assert not Worker.objects.exists()
    items[1]["birth_date"] = "1990-01-01"
    response = client_for(union_officer).post("/api/v1/workers/bulk/", {"items": items}, format="json")
    assert response.status_code == 201 and len(response.json()["created"]) == 2


@pytest.mark.parametrize("role", [Role.MINISTRY_REVIEWER, Role.PAYMENTS_OFFICER, Role.AUDITOR])
def test_ministry_roles_do_not_register(role):
    client = client_for(make_user(role))
    assert client.post("/api/v1/workers/", worker_data(4), format="json").status_code == 403
    assert client.post("/api/v1/workers/bulk/", {"items": [worker_data(4)]}, format="json").status_code == 403
    assert not Worker.objects.exists()


def test_registering_a_known_cuil_again_keeps_what_was_left_out(union_officer):
    client = client_for(union_officer)
    data = worker_data(5, cbu=make_cbu(77), phone="381-555-0101")
    assert client.post("/api/v1/workers/", data, format="json").status_code == 201
    data.pop("cbu")
    data.pop("phone")
    data["locality"] = "Famaillá"
    assert client.post("/api/v1/workers/", data, format="json").status_code == 201
    worker = Worker.objects.get(cuil=data["cuil"])
    assert (worker.cbu, worker.phone, worker.locality) == (make_cbu(77), "381-555-0101", "Famaillá")
