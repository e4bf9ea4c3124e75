"""API registration never takes over a worker out of scope and never reveals what is stored
(issue 14, findings 1 and 6): such a CUIL answers 202 with the documented review answer."""

import datetime as dt

import pytest

from enrollment.models import IdentityReview, Worker
from provinces.roles import Role
from tests.api.conftest import client_for
from tests.factories import (
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    WorkerFactory,
    make_cbu,
    make_cuil,
    make_user,
    province,
)

pytestmark = pytest.mark.django_db

REVIEW_KEYS = {"status", "reason", "review_id"}


@pytest.fixture
def world():
    mendoza = province("Mendoza")
    men_office = OrganisationFactory(province=mendoza)
    union1 = OrganisationFactory(kind="union", province=province("Tucumán"))
    mendocina = WorkerFactory(
        province=mendoza,
        registered_by=men_office,
        last_name="Videla",
        first_name="Elena",
        birth_date=dt.date(1980, 5, 6),
        cbu=make_cbu(501),
        renatre="R-MZA-1",
        locality="Maipú",
    )
    EnrollmentFactory(worker=mendocina, organisation=men_office, cycle=CycleFactory(agreement__province=mendoza))
    return {
        "mendocina": mendocina,
        "of_union1": WorkerFactory(registered_by=union1, last_name="Mamani", first_name="Rosa"),
        "tucuman": make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán"))),
        "union2": make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union", province=province("Tucumán"))),
    }


def takeover(worker, **extra):
    return {
        "cuil": worker.cuil,
        "last_name": "Impostor",
        "first_name": "Juan",
        "birth_date": "1990-01-01",
        "sex": "M",
        "province": province("Tucumán").pk,
        "locality": "Lules",
        "cbu": make_cbu(999),
        **extra,
    }


def stored_values(worker):
    worker.refresh_from_db()
    return {f.name: getattr(worker, f.name) for f in Worker._meta.concrete_fields}


def test_post_with_another_provinces_cuil_changes_nothing_and_answers_the_review(world):
    worker = world["mendocina"]
    before = stored_values(worker)
    sent = takeover(worker)
    response = client_for(world["tucuman"]).post("/api/v1/workers/", sent, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert stored_values(worker) == before
    assert body["status"] == "en_revision"
    assert body["reason"] == "inscripto/a por otra organización — requiere revisión"
    assert body["review_id"] == IdentityReview.objects.get().pk
    # Exactly what was sent, nothing else: no id, no stored names, no registering organisation.
    assert {k: v for k, v in body.items() if k not in REVIEW_KEYS} == sent


def test_a_union_cannot_take_over_another_organisations_worker(world):
    worker = world["of_union1"]
    before = stored_values(worker)
    sent = {
        "cuil": worker.cuil,
        "last_name": worker.last_name,
        "first_name": worker.first_name,
        "birth_date": worker.birth_date.isoformat(),
        "sex": worker.sex,
        "province": worker.province_id,
        "locality": "Otra",
        "cbu": make_cbu(5),
    }
    response = client_for(world["union2"]).post("/api/v1/workers/", sent, format="json")
    assert response.status_code == 202 and response.json()["status"] == "en_revision"
    assert stored_values(worker) == before


def test_out_of_scope_answer_reveals_nothing_stored(world):
    worker = world["mendocina"]
    answer = client_for(world["tucuman"]).post("/api/v1/workers/", takeover(worker), format="json").json()
    answer.pop("review_id")
    values = [str(value) for value in _leaves(answer)]
    for stored in ("Videla", "Elena", "R-MZA-1", make_cbu(501), "Maip", "1980-05-06"):
        assert not any(stored in value for value in values), stored
    assert str(worker.pk) not in values, "the stored worker's id is not given"


def _leaves(data):
    """Every scalar value of a JSON answer (keys aside), so that a check is not fooled by digits
    that happen to appear inside another value."""
    if isinstance(data, dict):
        for value in data.values():
            yield from _leaves(value)
    elif isinstance(data, list):
        for value in data:
            yield from _leaves(value)
    else:
        yield data


def test_bulk_holds_the_known_and_creates_the_new_with_one_shape(world):
    new = takeover(world["mendocina"], cuil=make_cuil(44_444_444))
    items = [new, takeover(world["mendocina"])]
    response = client_for(world["tucuman"]).post("/api/v1/workers/bulk/", {"items": items}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [w["cuil"] for w in body["created"]] == [new["cuil"]]
    [held] = body["in_review"]
    assert held["index"] == 1 and held["status"] == "en_revision" and held["last_name"] == "Impostor"
    assert Worker.objects.get(cuil=world["mendocina"].cuil).last_name == "Videla"


def test_schema_documents_the_review_answer(world):
    schema = client_for(world["tucuman"]).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    text = schema.content.decode()
    assert "HeldRegistration" in text and "en_revision" in text


def test_the_sender_reads_the_review_state_and_no_one_else_does(world):
    response = client_for(world["tucuman"]).post("/api/v1/workers/", takeover(world["mendocina"]), format="json")
    review_id = response.json()["review_id"]
    mine = client_for(world["tucuman"]).get(f"/api/v1/identity-reviews/{review_id}/")
    assert mine.status_code == 200
    body = mine.json()
    assert body["status"] == "en_revision" and body["submitted"]["last_name"] == "Impostor"
    assert "Videla" not in mine.content.decode()
    others = client_for(world["union2"])
    assert others.get(f"/api/v1/identity-reviews/{review_id}/").status_code == 404
    assert others.get(f"/api/v1/identity-reviews/{review_id + 1000}/").status_code == 404
    assert others.get("/api/v1/identity-reviews/").json()["results"] == []
