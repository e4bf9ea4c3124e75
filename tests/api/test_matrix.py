"""Every endpoint × role: allowed (200/201/400), forbidden by role (403) or out of scope (404).

One world: a Tucumán and a Mendoza beneficiary, each with a course and a referral in their
province; the Tucumán one registered by union 1. Each role calls every endpoint.
"""

import pytest

from enrollment import registration
from enrollment.models import Enrollment
from provinces.roles import Role
from tests.api.conftest import client_for
from tests.factories import (
    CourseFactory,
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    ProviderFactory,
    WorkerFactory,
    make_cuil,
    make_user,
    province,
)
from training.models import Referral

pytestmark = pytest.mark.django_db

ROLES = ["prov_tuc", "prov_men", "union1", "union2", "reviewer", "payments", "auditor"]
NATIONAL = {"reviewer", "payments", "auditor"}
TRAINING_READERS = {"prov_tuc", "prov_men", "reviewer", "auditor"}
TRAINING_WRITERS = {"prov_tuc", "prov_men", "reviewer"}
REGISTERERS = {"prov_tuc", "prov_men", "union1", "union2"}


@pytest.fixture
def world():
    tucuman, mendoza = province("Tucumán"), province("Mendoza")
    union1 = OrganisationFactory(kind="union", province=tucuman)
    union2 = OrganisationFactory(kind="union", province=tucuman)
    prov_men_org = OrganisationFactory(province=mendoza)
    users = {
        "prov_tuc": make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=tucuman)),
        "prov_men": make_user(Role.PROVINCIAL_OFFICER, prov_men_org),
        "union1": make_user(Role.UNION_OFFICER, union1),
        "union2": make_user(Role.UNION_OFFICER, union2),
        "reviewer": make_user(Role.MINISTRY_REVIEWER),
        "payments": make_user(Role.PAYMENTS_OFFICER),
        "auditor": make_user(Role.AUDITOR),
    }
    w1 = WorkerFactory(registered_by=union1)
    e1 = EnrollmentFactory(worker=w1, organisation=union1, status=Enrollment.Status.ACTIVE)
    w2 = WorkerFactory(province=mendoza, registered_by=prov_men_org)
    e2 = EnrollmentFactory(
        worker=w2, organisation=prov_men_org, cycle=CycleFactory(agreement__province=mendoza), status="active"
    )
    c1 = CourseFactory()
    c2 = CourseFactory(provider=ProviderFactory(province=mendoza))
    r1 = Referral.objects.create(
        enrollment=e1, worker=w1, line="vocational", course=c1, referred_on="2026-06-01", referred_by=users["reviewer"]
    )
    r2 = Referral.objects.create(
        enrollment=e2, worker=w2, line="vocational", course=c2, referred_on="2026-06-01", referred_by=users["reviewer"]
    )
    # union2 sends w1's CUIL (registered by union1): held for review, visible to union2 and the ministry.
    review = registration.register_worker(
        by=users["union2"],
        data={
            "cuil": w1.cuil,
            "last_name": w1.last_name,
            "first_name": w1.first_name,
            "birth_date": w1.birth_date,
            "sex": w1.sex,
            "province": w1.province,
            "locality": w1.locality,
        },
    ).review
    return {
        "users": users,
        "w1": w1,
        "w2": w2,
        "e1": e1,
        "e2": e2,
        "c1": c1,
        "c2": c2,
        "r1": r1,
        "r2": r2,
        "review": review,
    }


def sees(role, *who):
    """200 when ``role`` is national or one of ``who``, else 404 (out of scope)."""
    return 200 if role in NATIONAL or role in who else 404


def expectations(role, w):
    training_read = lambda scoped: scoped if role in TRAINING_READERS else 403  # noqa: E731
    training_write = lambda ok: ok if role in TRAINING_WRITERS else 403  # noqa: E731
    return [
        ("get", "/api/v1/workers/", 200),
        ("get", f"/api/v1/workers/{w['w1'].pk}/", sees(role, "prov_tuc", "union1")),
        ("get", f"/api/v1/workers/{w['w2'].pk}/", sees(role, "prov_men")),
        ("post", "/api/v1/workers/", 400 if role in REGISTERERS else 403),
        ("post", "/api/v1/workers/bulk/", 400 if role in REGISTERERS else 403),
        ("get", "/api/v1/enrollments/", 200),
        ("get", f"/api/v1/enrollments/{w['e1'].pk}/", sees(role, "prov_tuc", "union1")),
        ("get", f"/api/v1/enrollments/{w['e2'].pk}/", sees(role, "prov_men")),
        ("post", "/api/v1/enrollments/", 400 if role in REGISTERERS else 403),
        ("post", "/api/v1/enrollments/bulk/", 400 if role in REGISTERERS else 403),
        ("get", f"/api/v1/status/{w['w1'].cuil}/", sees(role, "prov_tuc", "union1")),
        ("get", f"/api/v1/status/{w['w2'].cuil}/", sees(role, "prov_men")),
        ("get", "/api/v1/providers/", training_read(200)),
        ("get", f"/api/v1/providers/{w['c2'].provider_id}/", training_read(sees(role, "prov_men"))),
        ("get", "/api/v1/employment-offices/", training_read(200)),
        ("get", "/api/v1/courses/", training_read(200)),
        ("get", f"/api/v1/courses/{w['c1'].pk}/", training_read(sees(role, "prov_tuc"))),
        ("get", f"/api/v1/courses/{w['c2'].pk}/", training_read(sees(role, "prov_men"))),
        ("post", "/api/v1/courses/", training_write(400)),
        ("get", "/api/v1/referrals/", training_read(200)),
        ("get", f"/api/v1/referrals/{w['r1'].pk}/", training_read(sees(role, "prov_tuc"))),
        ("get", f"/api/v1/referrals/{w['r2'].pk}/", training_read(sees(role, "prov_men"))),
        ("post", "/api/v1/referrals/", training_write(400)),
        (
            "post",
            f"/api/v1/referrals/{w['r1'].pk}/move/",
            training_write(400 if role in ("prov_tuc", "reviewer") else 404),
        ),
        ("get", "/api/v1/access-log/", 200 if role == "auditor" else 403),
        ("get", "/api/v1/access-log/export/", 200 if role == "auditor" else 403),
        ("get", "/api/v1/tokens/", 200),
        ("get", "/api/v1/identity-reviews/", 200),
        (
            "get",
            f"/api/v1/identity-reviews/{w['review'].pk}/",
            200 if role in ("union2", "reviewer", "auditor") else 404,
        ),
        ("post", "/api/v1/identity-reviews/", 405),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_answers_each_role_as_its_permissions_and_scope_say(world, role):
    client = client_for(world["users"][role])
    mismatches = []
    for method, url, expected in expectations(role, world):
        kwargs = {"data": {}, "format": "json"} if method == "post" else {}
        response = getattr(client, method)(url, **kwargs)
        if response.status_code != expected:
            mismatches.append((method, url, expected, response.status_code))
    assert mismatches == []


@pytest.mark.parametrize("role", ROLES)
def test_lists_hold_only_what_the_role_may_see(world, role):
    client = client_for(world["users"][role])
    cuils = {row["cuil"] for row in client.get("/api/v1/workers/").json()["results"]}
    expected = {
        "prov_tuc": {world["w1"].cuil},
        "prov_men": {world["w2"].cuil},
        "union1": {world["w1"].cuil},
        "union2": set(),
    }.get(role, {world["w1"].cuil, world["w2"].cuil})
    assert cuils == expected
    enrolled = {row["cuil"] for row in client.get("/api/v1/enrollments/").json()["results"]}
    assert enrolled == expected


@pytest.mark.parametrize("role", ["prov_men", "union2"])
def test_out_of_scope_cuil_reads_exactly_like_an_unknown_one(world, role):
    client = client_for(world["users"][role])
    outside = client.get(f"/api/v1/status/{world['w1'].cuil}/")
    unknown = client.get(f"/api/v1/status/{make_cuil(99_999_998)}/")
    assert outside.status_code == unknown.status_code == 404
    assert outside.json() == unknown.json()
    assert set(outside.headers) == set(unknown.headers)


def test_status_shows_enrollment_cycle_installments_and_open_referrals(world):
    client = client_for(world["users"]["union1"])
    body = client.get(f"/api/v1/status/{world['w1'].cuil_display}/").json()
    assert body["cuil"] == world["w1"].cuil
    [enrollment] = body["enrollments"]
    assert enrollment["status"] == "active" and enrollment["cycle"] == world["e1"].cycle_id
    assert set(enrollment["installments"]) == {"paid", "pending", "items"}
    assert [r["id"] for r in body["open_referrals"]] == [world["r1"].pk]


def test_union_enrolls_a_worker_it_registered_one_and_many(world):
    union1 = world["users"]["union1"]
    cycle = CycleFactory(agreement=world["e1"].cycle.agreement, first_month="2026-09-01")
    client = client_for(union1)
    response = client.post("/api/v1/enrollments/", {"cuil": world["w1"].cuil, "cycle": cycle.pk}, format="json")
    assert response.status_code == 201, response.json()
    others = [WorkerFactory(registered_by=world["w1"].registered_by) for _ in range(2)]
    items = [{"cuil": w.cuil, "cycle": cycle.pk} for w in others]
    response = client.post("/api/v1/enrollments/bulk/", {"items": items}, format="json")
    assert response.status_code == 201 and len(response.json()["created"]) == 2


def test_bulk_enrollment_is_all_or_nothing_with_errors_by_item(world):
    union1 = world["users"]["union1"]
    cycle = CycleFactory(agreement=world["e1"].cycle.agreement, first_month="2026-09-01")
    good = WorkerFactory(registered_by=world["w1"].registered_by)
    items = [{"cuil": good.cuil, "cycle": cycle.pk}, {"cuil": world["w2"].cuil, "cycle": cycle.pk}]
    response = client_for(union1).post("/api/v1/enrollments/bulk/", {"items": items}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]["items"]) == ["1"]
    assert not Enrollment.objects.filter(cycle=cycle).exists()


def test_officer_refers_and_moves_through_the_api(world):
    client = client_for(world["users"]["prov_tuc"])
    enrollment = EnrollmentFactory(status="active")
    response = client.post(
        "/api/v1/referrals/",
        {"enrollment": enrollment.pk, "line": "vocational", "course": world["c1"].pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    referral_id = response.json()["id"]
    response = client.post(f"/api/v1/referrals/{referral_id}/move/", {"status": "accepted"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    again = client.post(
        "/api/v1/referrals/",
        {"enrollment": enrollment.pk, "line": "vocational", "course": world["c1"].pk},
        format="json",
    )
    assert again.status_code == 400 and "course" in again.json()["fields"]
    other_province = client.post(
        "/api/v1/referrals/",
        {"enrollment": enrollment.pk, "line": "vocational", "course": world["c2"].pk},
        format="json",
    )
    assert other_province.status_code == 400 and "course" in other_province.json()["fields"]


def test_a_new_membership_reaches_the_api_at_once(world):
    from provinces.services import grant_membership

    user = world["users"]["union2"]
    client = client_for(user)
    assert client.get(f"/api/v1/status/{world['w1'].cuil}/").status_code == 404
    grant_membership(user=user, organisation=world["w1"].registered_by, role=Role.UNION_OFFICER)
    assert client.get(f"/api/v1/status/{world['w1'].cuil}/").status_code == 200


def test_a_scope_change_made_by_another_process_reaches_the_api_at_once(world):
    """The scope is read with the token on every request: a change that no ``forget_scope`` in
    this process announced (another web process, the admin) still counts at once."""
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm, remove_perm

    user, organisation = world["users"]["union2"], world["w1"].registered_by
    client = client_for(user)
    url = f"/api/v1/status/{world['w1'].cuil}/"
    assert client.get(url).status_code == 404
    assign_perm("provinces.act_for_organisation", user, organisation)
    assert client.get(url).status_code == 200
    remove_perm("provinces.act_for_organisation", user, organisation)
    assert client.get(url).status_code == 404
    assign_perm("provinces.act_for_organisation", user, organisation)
    user.groups.remove(Group.objects.get(name=Role.UNION_OFFICER))
    assert client.get(url).status_code == 404


def test_compiled_status_queries_never_cross_users(world):
    one, two = client_for(world["users"]["union1"]), client_for(world["users"]["union2"])
    url = f"/api/v1/status/{world['w1'].cuil}/"
    assert [c.get(url).status_code for c in (one, two, one, two)] == [200, 404, 200, 404]
    other = f"/api/v1/status/{world['w2'].cuil}/"
    assert one.get(other).status_code == 404


def test_status_lookup_works_without_prepared_statements(world, settings):
    settings.API_PREPARED_STATEMENTS = False
    client = client_for(world["users"]["union1"])
    assert client.get(f"/api/v1/status/{world['w1'].cuil}/").status_code == 200
