"""Two-factor authentication: ministry roles enrol and verify before any page; others may enrol."""

import re
import time

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from provinces.roles import Role
from tests.factories import OrganisationFactory, make_user
from tests.twofactor import current_code, sign_in, totp_device

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/convenios/",
    "/organizaciones/",
    "/trabajadores/",
    "/inscripciones/",
    "/pagos/",
    "/auditoria/",
    "/accesos/",
    "/tablero/",
    "/api-tokens/",
]


@pytest.mark.parametrize("role", [Role.MINISTRY_REVIEWER, Role.PAYMENTS_OFFICER, Role.AUDITOR, Role.ACCESS_ADMIN])
def test_a_national_role_without_second_factor_is_sent_to_enrol_from_every_page(client, role):
    user = make_user(role)
    client.force_login(user)
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("twofactor:enrol") + "?next="), url


def test_with_a_device_the_person_is_sent_to_verify_and_comes_back(client):
    user = make_user(Role.PAYMENTS_OFFICER)
    device = totp_device(user)
    client.force_login(user)
    response = client.get("/convenios/")
    assert response["Location"] == reverse("twofactor:verify") + "?next=%2Fconvenios%2F"
    wrong = client.post(reverse("twofactor:verify"), {"token": "000000", "next": "/convenios/"})
    assert wrong.status_code == 400 and client.get("/convenios/").status_code == 302
    time.sleep(1.1)  # django-otp throttles a device for a second after a wrong code
    device.refresh_from_db()
    ok = client.post(reverse("twofactor:verify"), {"token": current_code(device), "next": "/convenios/"})
    assert ok.status_code == 302 and ok["Location"] == "/convenios/"
    assert client.get("/convenios/").status_code == 200


def test_verification_never_redirects_off_site(client):
    user = make_user(Role.AUDITOR)
    device = totp_device(user)
    client.force_login(user)
    ok = client.post(reverse("twofactor:verify"), {"token": current_code(device), "next": "https://evil.example/"})
    assert ok["Location"] == "/"


def test_api_session_of_an_unverified_national_role_is_refused_but_tokens_work(client):
    from api.services import create_token

    user = make_user(Role.AUDITOR)
    client.force_login(user)
    response = client.get("/api/v1/workers/")
    assert response.status_code == 403 and response.json()["code"] == "two_factor_required"
    _token, key = create_token(by=user, name="sistema")
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/workers/").status_code == 200


def test_officers_are_not_forced_but_once_enrolled_they_verify(client):
    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory())
    client.force_login(officer)
    assert client.get("/").status_code == 200
    assert client.get(reverse("twofactor:enrol")).status_code == 200
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    client.post(reverse("twofactor:enrol"), {"token": current_code(device)})
    client.logout()
    client.force_login(officer)
    assert client.get("/")["Location"] == reverse("twofactor:verify") + "?next=%2F"


def test_enrolment_shows_qr_and_key_confirms_with_a_code_and_gives_backup_codes(client):
    user = make_user(Role.MINISTRY_REVIEWER)
    client.force_login(user)
    page = client.get(reverse("twofactor:enrol") + "?next=/convenios/").content.decode()
    assert "<svg" in page and 'id="otp-secret"' in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post(reverse("twofactor:enrol"), {"token": "123"}).status_code == 400
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    done = client.post(reverse("twofactor:enrol"), {"token": current_code(device), "next": "/convenios/"})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/convenios/").status_code == 200  # verified by the enrolment itself
    # a backup code verifies the next session once
    client.logout()
    client.force_login(user)
    assert client.post(reverse("twofactor:verify"), {"token": codes[0]})["Location"] == "/"
    client.logout()
    client.force_login(user)
    assert client.post(reverse("twofactor:verify"), {"token": codes[0]}).status_code == 400


def test_a_person_cannot_replace_her_own_device(client):
    user = make_user(Role.PAYMENTS_OFFICER)
    device = totp_device(user)
    sign_in(client, user)
    page = client.get(reverse("twofactor:enrol")).content.decode()
    assert "ya está activada" in page and "<svg" not in page
    assert list(TOTPDevice.objects.filter(user=user)) == [device]
