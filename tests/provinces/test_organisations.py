import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from provinces.models import Membership, Organisation
from provinces.roles import Role
from provinces.scoping import scope_of
from tests.factories import OrganisationFactory, make_user, province

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer():
    return make_user(Role.MINISTRY_REVIEWER)


def test_reviewer_registers_a_municipality(client, reviewer):
    client.force_login(reviewer)
    data = {"name": "Municipalidad de Lules", "kind": "municipality", "province": province("Tucumán").pk, "cuit": ""}
    assert client.post(reverse("provinces:organisation_create"), data).status_code == 302
    assert Organisation.objects.get(name="Municipalidad de Lules").province.name == "Tucumán"


def test_municipality_without_province_or_bad_cuit_is_refused(client, reviewer):
    client.force_login(reviewer)
    data = {"name": "Municipalidad X", "kind": "municipality", "province": "", "cuit": "30-12345678-0"}
    body = client.post(reverse("provinces:organisation_create"), data).content.decode()
    assert "pertenece a una provincia" in body and "no es válido" in body
    assert not Organisation.objects.filter(name="Municipalidad X").exists()


def test_reviewer_gives_and_takes_a_provincial_role(client, reviewer):
    office = OrganisationFactory(province=province("Jujuy"))
    client.force_login(reviewer)
    data = {
        "username": "jujuy2",
        "first_name": "Rosa",
        "last_name": "Mamaní",
        "email": "rosa@example.org",
        "password": "una-clave-larga-2026",
        "role": Role.PROVINCIAL_OFFICER,
    }
    assert client.post(reverse("provinces:organisation_detail", args=[office.pk]), data).status_code == 302
    user = get_user_model().objects.get(username="jujuy2")
    assert scope_of(user).province_ids == {province("Jujuy").pk}
    membership = Membership.objects.get(user=user)
    assert client.post(reverse("provinces:membership_revoke", args=[membership.pk])).status_code == 302
    user = get_user_model().objects.get(pk=user.pk)
    assert scope_of(user).province_ids == frozenset() and not scope_of(user).roles


def test_role_must_fit_the_organisation(client, reviewer):
    office = OrganisationFactory()
    client.force_login(reviewer)
    data = {
        "username": "x1",
        "first_name": "A",
        "last_name": "B",
        "email": "a@b.org",
        "password": "una-clave-larga-2026",
        "role": Role.UNION_OFFICER,
    }
    body = client.post(reverse("provinces:organisation_detail", args=[office.pk]), data).content.decode()
    assert "no corresponde" in body
    assert not Membership.objects.filter(user__username="x1").exists()


@pytest.mark.parametrize("role", [Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER, Role.PAYMENTS_OFFICER, Role.AUDITOR])
def test_other_roles_cannot_manage_organisations_or_members(client, role):
    kind = "union" if role == Role.UNION_OFFICER else "provincial_office"
    own = OrganisationFactory(kind=kind)
    user = make_user(role, own if role in (Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER) else None)
    client.force_login(user)
    assert client.get(reverse("provinces:organisation_create")).status_code == 403
    data = {
        "username": "intruso",
        "first_name": "A",
        "last_name": "B",
        "email": "a@b.org",
        "password": "una-clave-larga-2026",
        "role": Role.MINISTRY_REVIEWER,
    }
    assert client.post(reverse("provinces:organisation_detail", args=[own.pk]), data).status_code == 403
    assert not get_user_model().objects.filter(username="intruso").exists()


def test_provincial_officer_sees_only_organisations_of_their_province(client):
    mine = OrganisationFactory(province=province("Salta"))
    other = OrganisationFactory(province=province("Chaco"))
    client.force_login(make_user(Role.PROVINCIAL_OFFICER, mine))
    listed = set(client.get(reverse("provinces:organisation_list")).context["organisations"])
    assert mine in listed and other not in listed
    assert client.get(reverse("provinces:organisation_detail", args=[other.pk])).status_code == 404
