"""Municipalities and producers' associations: a municipality's officers see and change only
what their municipality registered (not the whole province), a producers' association behaves
like a union. Each role × each object (worker, enrollment) × read and write, in the API and the
web pages: allowed, or 404 exactly like an unknown object.

One world in Tucumán: a provincial office, two municipalities, a union and two producers'
associations; each registering organisation but the second association has one enrolled
worker.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from enrollment import services
from enrollment.models import CbuChangeRequest, Enrollment
from provinces.models import Organisation
from provinces.roles import Role
from provinces.scoping import scope_of
from provinces.services import grant_membership
from tests.api.conftest import client_for
from tests.factories import (
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    UserFactory,
    WorkerFactory,
    make_cbu,
    make_user,
    province,
)
from tests.twofactor import verify_if_needed

pytestmark = pytest.mark.django_db
K = Organisation.Kind

#: organisation key → (kind, registers a worker)
ORGANISATIONS = {
    "office": K.PROVINCIAL_OFFICE,
    "muni1": K.MUNICIPALITY,
    "muni2": K.MUNICIPALITY,
    "union": K.UNION,
    "assoc1": K.PRODUCERS_ASSOCIATION,
    "assoc2": K.PRODUCERS_ASSOCIATION,
}
REGISTRARS = ["office", "muni1", "muni2", "union", "assoc1"]
#: role key → what it sees (registering organisations' workers)
VISIBLE = {
    "prov_tuc": set(REGISTRARS),  # a provincial office: the whole province
    "muni1": {"muni1"},
    "muni2": {"muni2"},
    "union": {"union"},
    "assoc1": {"assoc1"},
    "assoc2": set(),
    "reviewer": set(REGISTRARS),
    "auditor": set(REGISTRARS),
}
ROLES = list(VISIBLE)
#: who may ask for a CBU change on a worker in scope (the auditor only reads)
WRITERS = {"prov_tuc", "muni1", "muni2", "union", "assoc1", "assoc2", "reviewer"}


@pytest.fixture
def world():
    tucuman = province("Tucumán")
    orgs = {key: OrganisationFactory(kind=kind, province=tucuman) for key, kind in ORGANISATIONS.items()}
    users = {
        "prov_tuc": make_user(Role.PROVINCIAL_OFFICER, orgs["office"]),
        "muni1": make_user(Role.PROVINCIAL_OFFICER, orgs["muni1"]),
        "muni2": make_user(Role.PROVINCIAL_OFFICER, orgs["muni2"]),
        "union": make_user(Role.UNION_OFFICER, orgs["union"]),
        "assoc1": make_user(Role.UNION_OFFICER, orgs["assoc1"]),
        "assoc2": make_user(Role.UNION_OFFICER, orgs["assoc2"]),
        "reviewer": make_user(Role.MINISTRY_REVIEWER),
        "auditor": make_user(Role.AUDITOR),
    }
    cycle = CycleFactory()
    workers, enrollments = {}, {}
    for key in REGISTRARS:
        workers[key] = WorkerFactory(registered_by=orgs[key], province=tucuman)
        enrollments[key] = EnrollmentFactory(
            worker=workers[key], organisation=orgs[key], cycle=cycle, status=Enrollment.Status.APPROVED
        )
    return {"users": users, "orgs": orgs, "workers": workers, "enrollments": enrollments, "cycle": cycle}


def web_client(user) -> Client:
    client = Client()
    client.force_login(user)
    verify_if_needed(client, user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_reads_through_the_api_and_the_web_answer_each_role_by_its_scope(world, role):
    user = world["users"][role]
    api, web = client_for(user), web_client(user)
    mismatches = []
    for key in REGISTRARS:
        expected = 200 if key in VISIBLE[role] else 404
        worker, enrollment = world["workers"][key], world["enrollments"][key]
        for client, url in (
            (api, f"/api/v1/workers/{worker.pk}/"),
            (api, f"/api/v1/enrollments/{enrollment.pk}/"),
            (api, f"/api/v1/status/{worker.cuil}/"),
            (web, f"/trabajadores/{worker.pk}/"),
            (web, f"/inscripciones/{enrollment.pk}/"),
        ):
            status = client.get(url).status_code
            if status != expected:
                mismatches.append((key, url, expected, status))
    assert mismatches == []


@pytest.mark.parametrize("role", ROLES)
def test_lists_hold_exactly_what_the_role_may_see(world, role):
    api = client_for(world["users"][role])
    expected = {world["workers"][key].cuil for key in VISIBLE[role]}
    assert {row["cuil"] for row in api.get("/api/v1/workers/").json()["results"]} == expected
    assert {row["cuil"] for row in api.get("/api/v1/enrollments/").json()["results"]} == expected


@pytest.mark.parametrize("role", ROLES)
def test_writes_on_a_worker_answer_each_role_by_its_scope_and_touch_nothing_outside(world, role):
    """A CBU change asked through the API and through the web form: created in scope, 404
    outside (and nothing written), 403 for a role that only reads."""
    user = world["users"][role]
    api, web = client_for(user), web_client(user)
    mismatches = []
    for n, key in enumerate(REGISTRARS):
        worker = world["workers"][key]
        allowed = key in VISIBLE[role]
        expected = 404 if not allowed else (201 if role in WRITERS else 403)
        body = {"cbu": make_cbu(700_000 + n), "reason": "Cuenta cerrada", "evidence": "Constancia"}
        response = api.post(f"/api/v1/workers/{worker.pk}/cbu-change/", body, format="json")
        if response.status_code != expected:
            mismatches.append((key, "api", expected, response.status_code))
        page = web.get(f"/trabajadores/{worker.pk}/cambiar-cbu/").status_code
        if page != (200 if expected == 201 else expected):
            mismatches.append((key, "web", expected, page))
        made = CbuChangeRequest.objects.filter(worker=worker).exists()
        if made != (expected == 201):
            mismatches.append((key, "written", expected == 201, made))
    assert mismatches == []


@pytest.mark.parametrize("role", ["prov_tuc", "muni1", "muni2", "union", "assoc1", "assoc2", "reviewer"])
def test_withdrawing_an_enrollment_is_refused_outside_the_scope_and_leaves_it_untouched(world, role):
    user = world["users"][role]
    for key in REGISTRARS:
        enrollment = world["enrollments"][key]
        if key in VISIBLE[role]:
            services.withdraw_enrollment(enrollment=enrollment, by=user, reason="A pedido del trabajador")
            enrollment.refresh_from_db()
            assert enrollment.status == Enrollment.Status.WITHDRAWN, key
            Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.APPROVED)
        else:
            with pytest.raises(PermissionDenied):
                services.withdraw_enrollment(enrollment=enrollment, by=user, reason="A pedido del trabajador")
            enrollment.refresh_from_db()
            assert enrollment.status == Enrollment.Status.APPROVED, key


def test_a_municipality_registers_in_its_province_only(world):
    officer = world["users"]["muni1"]
    assert services.can_register_in(officer, world["cycle"])
    assert not services.can_register_in(officer, CycleFactory(agreement__province=province("Mendoza")))
    assert services.can_register_residents_of(officer, province("Tucumán"))
    assert not services.can_register_residents_of(officer, province("Mendoza"))


def test_a_producers_association_registers_like_a_union(world):
    officer = world["users"]["assoc2"]
    assert services.can_register_in(officer, world["cycle"])
    assert not services.can_register_in(officer, CycleFactory(agreement__province=province("Mendoza")))
    worker = WorkerFactory(registered_by=world["orgs"]["assoc2"])
    enrollment = services.enroll_worker(by=officer, worker=worker, cycle=world["cycle"])
    assert enrollment.organisation == world["orgs"]["assoc2"]
    assert client_for(officer).get(f"/api/v1/enrollments/{enrollment.pk}/").status_code == 200
    assert client_for(world["users"]["union"]).get(f"/api/v1/enrollments/{enrollment.pk}/").status_code == 404


def test_a_municipal_officer_is_granted_the_municipality_not_the_province(world):
    scope = scope_of(world["users"]["muni1"])
    assert scope.province_ids == frozenset() and scope.organisation_ids == {world["orgs"]["muni1"].pk}
    assert scope.sees_only_own_registrations
    office = scope_of(world["users"]["prov_tuc"])
    assert office.province_ids == {province("Tucumán").pk} and not office.sees_only_own_registrations


def test_an_officer_of_a_municipality_and_a_provincial_office_keeps_the_province_when_the_municipality_goes(world):
    from django.contrib.auth import get_user_model

    from provinces.access import revoke_role
    from provinces.models import Membership
    from tests.twofactor import verified

    user = UserFactory()
    grant_membership(user=user, organisation=world["orgs"]["muni1"], role=Role.PROVINCIAL_OFFICER)
    grant_membership(user=user, organisation=world["orgs"]["office"], role=Role.PROVINCIAL_OFFICER)
    admin = verified(make_user(Role.ACCESS_ADMIN))
    municipal = Membership.objects.get(user=user, organisation=world["orgs"]["muni1"])
    revoke_role(membership=municipal, by=admin, reason="Dejó el municipio")
    scope = scope_of(get_user_model().objects.get(pk=user.pk))
    assert scope.province_ids == {province("Tucumán").pk} and scope.organisation_ids == frozenset()
    office = Membership.objects.get(user=user, organisation=world["orgs"]["office"])
    revoke_role(membership=office, by=admin, reason="Dejó la oficina")
    assert scope_of(get_user_model().objects.get(pk=user.pk)).province_ids == frozenset()
