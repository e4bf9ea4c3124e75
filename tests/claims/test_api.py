"""Claims through the API: unions file on behalf of the workers they registered and read the
state; another scope's claim answers 404 like an unknown one, another scope's worker the same
field error as an unknown CUIL."""

import pytest
from django.core.cache import cache

from claims.models import Claim
from enrollment.models import Enrollment
from tests.api.conftest import client_for
from tests.factories import EnrollmentFactory, OrganisationFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def union_worker(union):
    return EnrollmentFactory(status=Enrollment.Status.SUBMITTED, worker__registered_by=union, organisation=union).worker


def test_union_files_a_claim_and_reads_its_state(union_officer, union_worker):
    api = client_for(union_officer)
    response = api.post(
        "/api/v1/claims/",
        {"cuil": union_worker.cuil_display, "subject": "data_correction", "description": "Apellido mal escrito"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["channel"], body["filed_by_kind"]) == ("received", "api", "union")
    again = api.post(
        "/api/v1/claims/",
        {"cuil": union_worker.cuil, "subject": "data_correction", "description": "Apellido mal escrito"},
        format="json",
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    detail = api.get(f"/api/v1/claims/{body['id']}/")
    assert detail.status_code == 200 and detail.json()["cuil"] == union_worker.cuil


def test_another_unions_claim_answers_404_like_an_unknown_one(union_officer, union_worker):
    claim_id = (
        client_for(union_officer)
        .post(
            "/api/v1/claims/",
            {"cuil": union_worker.cuil, "subject": "data_correction", "description": "DNI"},
            format="json",
        )
        .json()["id"]
    )
    other = make_user("union_officer", OrganisationFactory(kind="union"))
    api = client_for(other)
    foreign, unknown = api.get(f"/api/v1/claims/{claim_id}/"), api.get("/api/v1/claims/99999999/")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()
    assert api.get("/api/v1/claims/").json()["count"] == 0


def test_filing_for_a_worker_out_of_scope_reads_like_an_unknown_cuil(union_worker):
    other = make_user("union_officer", OrganisationFactory(kind="union"))
    api = client_for(other)
    foreign = api.post(
        "/api/v1/claims/", {"cuil": union_worker.cuil, "subject": "data_correction", "description": "x"}, format="json"
    )
    assert foreign.status_code == 400
    assert foreign.json()["fields"] == {"cuil": ["No existe o no está a su alcance."]}
    assert not Claim.objects.exists()


def test_contested_record_of_another_scope_is_refused(union_officer, union_worker, rejected):
    response = client_for(union_officer).post(
        "/api/v1/claims/",
        {"cuil": union_worker.cuil, "subject": "rejection", "enrollment": rejected.pk, "description": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "enrollment" in response.json()["fields"]


def test_auditor_reads_but_cannot_file(auditor, union_worker):
    api = client_for(auditor)
    assert api.get("/api/v1/claims/").status_code == 200
    response = api.post(
        "/api/v1/claims/", {"cuil": union_worker.cuil, "subject": "data_correction", "description": "x"}, format="json"
    )
    assert response.status_code == 403


def test_unknown_fields_and_subjects_are_refused(union_officer, union_worker):
    api = client_for(union_officer)
    response = api.post(
        "/api/v1/claims/",
        {"cuil": union_worker.cuil, "subject": "whatever", "description": "x", "status": "upheld"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"status"} or "subject" in response.json()["fields"]


def test_claims_are_in_the_openapi_schema(reviewer):
    schema = client_for(reviewer).get("/api/v1/schema/?format=json").json()
    assert "/api/v1/claims/" in schema["paths"] and "/api/v1/claims/{id}/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/claims/"]
