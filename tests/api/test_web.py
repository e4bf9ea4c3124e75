import pytest

from api.models import ApiToken
from api.services import create_token
from provinces.roles import Role
from tests.factories import OrganisationFactory, make_user
from tests.twofactor import verify_if_needed

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    verify_if_needed(client, user)
    return client


def test_user_creates_sees_once_and_revokes_a_token_in_the_web_ui(client):
    user = make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union"))
    client = login(client, user)
    page = client.post("/api-tokens/", {"name": "sistema del sindicato", "days": 30}).content.decode()
    token = ApiToken.objects.get(user=user)
    assert "no se vuelve a mostrar" in page and token.prefix in page
    assert client.post(f"/api-tokens/{token.pk}/revocar/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == user


def test_user_cannot_revoke_someone_elses_token(client):
    owner = make_user(Role.AUDITOR)
    token, _ = create_token(by=owner, name="x")
    client = login(client, make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union")))
    assert client.post(f"/api-tokens/{token.pk}/revocar/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_access_log_page_is_for_auditors(client):
    assert login(client, make_user(Role.AUDITOR)).get("/consultas-api/").status_code == 200
    client.logout()
    assert login(client, make_user(Role.MINISTRY_REVIEWER)).get("/consultas-api/").status_code == 403
