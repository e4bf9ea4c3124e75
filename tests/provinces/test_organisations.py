import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from provinces.models import Organisation
from provinces.roles import Role
from tests.factories import OrganisationFactory, make_user, province
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer():
    return make_user(Role.MINISTRY_REVIEWER)


def test_reviewer_registers_a_municipality(client, reviewer):
    sign_in(client, reviewer)
    data = {"name": "Municipalidad de Lules", "kind": "municipality", "province": province("Tucumán").pk, "cuit": ""}
    assert client.post(reverse("provinces:organisation_create"), data).status_code == 302
    assert Organisation.objects.get(name="Municipalidad de Lules").province.name == "Tucumán"


def test_municipality_without_province_or_bad_cuit_is_refused(client, reviewer):
    sign_in(client, reviewer)
    data = {"name": "Municipalidad X", "kind": "municipality", "province": "", "cuit": "30-12345678-0"}
    body = client.post(reverse("provinces:organisation_create"), data).content.decode()
    assert "pertenece a una provincia" in body and "no es válido" in body
    assert not Organisation.objects.filter(name="Municipalidad X").exists()


def test_the_organisation_page_no_longer_creates_accounts_or_grants_roles(client, reviewer):
    """Finding 3: a reviewer created an account with a password of her choosing from here."""
    office = OrganisationFactory(province=province("Jujuy"))
    sign_in(client, reviewer)
    data = {
        "username": "jujuy2",
        "first_name": "Rosa",
        "last_name": "Mamaní",
        "email": "rosa@example.org",
        "password": "una-clave-larga-2026",
        "role": Role.PROVINCIAL_OFFICER,
    }
    assert client.post(reverse("provinces:organisation_detail", args=[office.pk]), data).status_code == 405
    assert not get_user_model().objects.filter(username="jujuy2").exists()
    page = client.get(reverse("provinces:organisation_detail", args=[office.pk])).content.decode()
    assert 'name="password"' not in page and "Asignar un rol" not in page


@pytest.mark.parametrize("role", [Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER, Role.PAYMENTS_OFFICER, Role.AUDITOR])
def test_other_roles_cannot_manage_organisations_or_members(client, role):
    kind = "union" if role == Role.UNION_OFFICER else "provincial_office"
    own = OrganisationFactory(kind=kind)
    user = make_user(role, own if role in (Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER) else None)
    sign_in(client, user)
    assert client.get(reverse("provinces:organisation_create")).status_code == 403
    data = {
        "username": "intruso",
        "first_name": "A",
        "last_name": "B",
        "email": "a@b.org",
        "password": "una-clave-larga-2026",
        "role": Role.MINISTRY_REVIEWER,
    }
    assert client.post(reverse("provinces:organisation_detail", args=[own.pk]), data).status_code == 405
    assert not get_user_model().objects.filter(username="intruso").exists()


def test_provincial_officer_sees_only_organisations_of_their_province(client):
    mine = OrganisationFactory(province=province("Salta"))
    other = OrganisationFactory(province=province("Chaco"))
    sign_in(client, make_user(Role.PROVINCIAL_OFFICER, mine))
    listed = set(client.get(reverse("provinces:organisation_list")).context["organisations"])
    assert mine in listed and other not in listed
    assert client.get(reverse("provinces:organisation_detail", args=[other.pk])).status_code == 404
