"""Worker search: CUIL, DNI or name, tolerant to accents and typos, never outside the scope."""

import datetime as dt

import pytest
from django.urls import reverse

from enrollment.identity import normalise_name
from provinces.roles import Role
from reports.selectors import search_workers
from tests.factories import EnrollmentFactory, OrganisationFactory, WorkerFactory, make_cuil, make_user, province
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db


def person(last, first, **kwargs):
    return WorkerFactory(
        last_name=last,
        first_name=first,
        last_name_norm=normalise_name(last),
        first_name_norm=normalise_name(first),
        **kwargs,
    )


@pytest.fixture
def people(world):
    gonzalez = person("González", "María Inés", cuil=make_cuil(28123456, "27"), registered_by=world.tuc_office)
    nunez = person("Núñez", "Ramón", registered_by=world.tuc_office)
    other = person("Gonzalez", "Marta", province=province("Mendoza"), registered_by=world.mza_office)
    EnrollmentFactory(worker=other, cycle=world.mza_grapes, organisation=world.mza_office)
    return {"gonzalez": gonzalez, "nunez": nunez, "mendoza_gonzalez": other}


def found(user, query):
    return list(search_workers(user=user, query=query))


def test_finds_by_cuil_with_or_without_dashes(world, people):
    w = people["gonzalez"]
    assert found(world.users["reviewer"], w.cuil) == [w]
    assert found(world.users["reviewer"], w.cuil_display) == [w]


def test_finds_by_dni_with_dots(world, people):
    assert found(world.users["reviewer"], "28.123.456") == [people["gonzalez"]]


@pytest.mark.parametrize("query", ["gonzalez maria", "GONZÁLEZ", "Gonzales Maria", "maria ines gonsalez"])
def test_finds_by_name_without_accents_or_with_typos(world, people, query):
    assert people["gonzalez"] in found(world.users["reviewer"], query)


def test_typo_in_name_finds_accented_surname(world, people):
    assert found(world.users["tucuman"], "nunes") == [people["nunez"]]


def test_best_match_comes_first(world, people):
    results = found(world.users["reviewer"], "Gonzalez Maria Ines")
    assert results[0] == people["gonzalez"]


def test_unrelated_name_finds_nobody(world, people):
    assert found(world.users["reviewer"], "Zapata") == []


def test_provincial_officer_does_not_find_other_provinces_workers(world, people):
    tucuman = world.users["tucuman"]
    assert people["mendoza_gonzalez"] not in found(tucuman, "gonzalez")
    assert found(tucuman, people["mendoza_gonzalez"].cuil) == []
    assert found(tucuman, people["mendoza_gonzalez"].dni) == []
    assert people["mendoza_gonzalez"] in found(world.users["mendoza"], "gonzalez")
    assert people["mendoza_gonzalez"] in found(world.users["auditor"], "gonzalez")


def test_union_officer_finds_only_workers_its_organisation_registered(world, people):
    mine = person("Gonzalez", "Mario", registered_by=world.union)
    results = found(world.users["union"], "gonzalez")
    assert mine in results
    assert people["gonzalez"] not in results and people["mendoza_gonzalez"] not in results
    assert all(w.registered_by_id == world.union.pk for w in results)
    other_union = make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union", name="FOTIA"))
    assert found(other_union, "gonzalez") == []


def test_search_page_lists_results_linking_to_the_worker_page(world, people, login):
    response = login(world.users["tucuman"]).get(reverse("reports:search"), {"q": "gonzales"})
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("reports:worker", args=[people["gonzalez"].pk]) in body
    assert reverse("reports:worker", args=[people["mendoza_gonzalez"].pk]) not in body
    assert '<label for="q">' in body


def test_search_page_needs_a_role(db, client):
    from tests.factories import UserFactory

    sign_in(client, UserFactory())
    assert client.get(reverse("reports:search"), {"q": "x"}).status_code == 403


def test_short_or_empty_queries_find_nobody(world, people):
    assert found(world.users["reviewer"], "") == []
    assert found(world.users["reviewer"], "go") == []
    assert found(world.users["reviewer"], "12") == []


def test_birth_date_is_shown_in_argentine_format(world, people, login):
    people["gonzalez"].birth_date = dt.date(1985, 3, 7)
    people["gonzalez"].save()
    body = login(world.users["reviewer"]).get(reverse("reports:search"), {"q": "González María"}).content.decode()
    assert "07/03/1985" in body


def test_a_cuil_with_a_wrong_check_digit_gets_a_clear_message(world, people, login):
    good = people["gonzalez"].cuil
    bad = good[:10] + str((int(good[10]) + 1) % 10)
    body = login(world.users["reviewer"]).get(reverse("reports:search"), {"q": bad}).content.decode()
    assert "Ese CUIL no es válido" in body
    body = login(world.users["reviewer"]).get(reverse("reports:search"), {"q": good}).content.decode()
    assert "Ese CUIL no es válido" not in body
