"""CBU changes through the API: who may ask, what each role reads, 404 for unknown and not yours."""

import pytest

from enrollment.models import CbuChangeRequest
from provinces.roles import Role
from tests.api.conftest import client_for
from tests.factories import OrganisationFactory, WorkerFactory, make_cbu, make_user, province

pytestmark = pytest.mark.django_db
ROLES = ["prov_tuc", "prov_men", "union1", "union2", "reviewer", "payments", "auditor"]
NATIONAL = {"reviewer", "payments", "auditor"}
NEW_CBU = make_cbu(515_151)


@pytest.fixture
def world():
    tucuman, mendoza = province("Tucumán"), province("Mendoza")
    union1 = OrganisationFactory(kind="union", province=tucuman)
    users = {
        "prov_tuc": make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=tucuman)),
        "prov_men": make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=mendoza)),
        "union1": make_user(Role.UNION_OFFICER, union1),
        "union2": make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union", province=tucuman)),
        "reviewer": make_user(Role.MINISTRY_REVIEWER),
        "payments": make_user(Role.PAYMENTS_OFFICER),
        "auditor": make_user(Role.AUDITOR),
    }
    return {"users": users, "worker": WorkerFactory(registered_by=union1, province=tucuman)}


BODY = {"cbu": NEW_CBU, "reason": "Cuenta cerrada", "evidence": "Constancia del Banco Nación"}


@pytest.mark.parametrize("role", ROLES)
def test_asking_for_a_cbu_change_matrix(world, role):
    client = client_for(world["users"][role])
    worker = world["worker"]
    expected = {"prov_tuc": 201, "union1": 201, "reviewer": 201, "payments": 403, "auditor": 403}.get(role, 404)
    response = client.post(f"/api/v1/workers/{worker.pk}/cbu-change/", BODY, format="json")
    assert response.status_code == expected, response.content
    unknown = client.post(f"/api/v1/workers/{worker.pk + 10_000}/cbu-change/", BODY, format="json")
    assert unknown.status_code == 404
    if expected == 404:
        assert response.json() == unknown.json()  # not yours reads exactly like unknown
    assert CbuChangeRequest.objects.filter(worker=worker).count() == (1 if expected == 201 else 0)
    worker.refresh_from_db()
    assert worker.cbu != NEW_CBU  # never written by asking


@pytest.mark.parametrize("role", ROLES)
def test_reading_a_cbu_change_matrix(world, role):
    asked = client_for(world["users"]["union1"]).post(
        f"/api/v1/workers/{world['worker'].pk}/cbu-change/", BODY, format="json"
    )
    change_id = asked.json()["id"]
    client = client_for(world["users"][role])
    sees = role in NATIONAL or role in ("prov_tuc", "union1")
    detail = client.get(f"/api/v1/cbu-changes/{change_id}/")
    assert detail.status_code == (200 if sees else 404)
    if sees:
        body = detail.json()
        assert body["status"] == "pending" and body["new_cbu_last4"] == NEW_CBU[-4:]
        assert NEW_CBU not in detail.content.decode()
    listed = client.get("/api/v1/cbu-changes/").json()
    ids = [row["id"] for row in listed["results"]] if "results" in listed else [row["id"] for row in listed]
    assert (change_id in ids) == sees
    assert client.get(f"/api/v1/cbu-changes/{change_id + 10_000}/").status_code == 404


def test_invalid_or_repeated_request_answers_400(world):
    client = client_for(world["users"]["prov_tuc"])
    url = f"/api/v1/workers/{world['worker'].pk}/cbu-change/"
    bad = client.post(url, {**BODY, "cbu": "123"}, format="json")
    assert bad.status_code == 400
    assert client.post(url, BODY, format="json").status_code == 201
    again = client.post(url, {**BODY, "cbu": make_cbu(616)}, format="json")
    assert again.status_code == 400
    unknown_field = client.post(url, {**BODY, "decided_by": 1}, format="json")
    assert unknown_field.status_code == 400


def test_shared_cbu_is_warned_in_the_answer(world):
    other = WorkerFactory(cbu=NEW_CBU)
    response = client_for(world["users"]["prov_tuc"]).post(
        f"/api/v1/workers/{world['worker'].pk}/cbu-change/", BODY, format="json"
    )
    assert response.status_code == 201
    assert response.json()["warning"].startswith("CBU compartido")
    assert str(other.pk) not in response.json()["warning"]


def test_the_schema_documents_the_cbu_change_endpoints(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/workers/{id}/cbu-change/" in schema and "/api/v1/cbu-changes/{id}/" in schema
