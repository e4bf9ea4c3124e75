"""Authentication, the error shape, bad input, throttling, tokens and the access log."""

import datetime as dt

import pytest
from django.db import ProgrammingError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken, StatusLookup
from api.services import create_token
from enrollment.models import Enrollment
from provinces.roles import Role
from tests.api.conftest import client_for
from tests.factories import (
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    WorkerFactory,
    make_cuil,
    make_user,
    province,
)
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db

UNKNOWN = make_cuil(99_999_999)
ERROR_KEYS = {"status", "code", "message", "fields"}


@pytest.fixture
def officer():
    return make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS and body["status"] == status
    if code:
        assert body["code"] == code, body
    return body


# --- authentication -----------------------------------------------------------------------------


def test_no_credentials_answers_401_in_the_error_shape():
    assert_error(APIClient().get("/api/v1/workers/"), 401, "not_authenticated")


def test_unknown_token_is_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token no-such-key")
    assert_error(client.get("/api/v1/workers/"), 401, "token_invalid")


def test_malformed_authorization_header_is_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token a b")
    assert_error(client.get("/api/v1/workers/"), 401, "token_invalid")


def test_token_works_until_revoked(officer):
    token, key = create_token(by=officer, name="sistema del sindicato")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/workers/").status_code == 200
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert_error(client.get("/api/v1/workers/"), 401, "token_revoked")


def test_expired_token_is_refused(officer):
    token, key = create_token(by=officer, name="viejo", days=1)
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=now - dt.timedelta(days=2), expires_at=now - dt.timedelta(seconds=1)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert_error(client.get("/api/v1/workers/"), 401, "token_expired")


def test_only_a_hash_of_the_key_is_stored(officer):
    token, key = create_token(by=officer, name="x")
    assert key not in token.key_hash and token.prefix == key[:8]


def test_session_authentication_serves_the_web_ui(officer):
    client = APIClient()
    sign_in(client, officer)
    assert client.get("/api/v1/workers/").status_code == 200


def test_user_creates_a_token_and_sees_the_key_once(officer):
    client = APIClient()
    sign_in(client, officer)
    response = client.post("/api/v1/tokens/", {"name": "integración", "days": 30}, format="json")
    assert response.status_code == 201
    key = response.json()["key"]
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert listed[0]["prefix"] == key[:8] and "key" not in listed[0]


def test_user_cannot_create_or_revoke_other_users_tokens(officer):
    other = make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union"))
    other_token, _ = create_token(by=other, name="ajeno")
    client = client_for(officer)
    assert_error(client.post("/api/v1/tokens/", {"name": "x", "user": other.pk}, format="json"), 403)
    assert_error(client.delete(f"/api/v1/tokens/{other_token.pk}/"), 404)
    other_token.refresh_from_db()
    assert other_token.revoked_at is None


def test_ministry_staff_create_and_revoke_tokens_for_others(officer):
    reviewer = make_user(Role.MINISTRY_REVIEWER)
    client = client_for(reviewer)
    response = client.post("/api/v1/tokens/", {"name": "para la provincia", "user": officer.pk}, format="json")
    assert response.status_code == 201 and response.json()["user"] == officer.pk
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert token.created_by == reviewer
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    token.refresh_from_db()
    assert token.revoked_by == reviewer


def test_token_lifetime_is_bounded(officer):
    assert_error(
        client_for(officer).post("/api/v1/tokens/", {"name": "x", "days": 4000}, format="json"), 400, "invalid"
    )


# --- bad input ---------------------------------------------------------------------------------


def test_unknown_fields_are_refused(officer):
    body = assert_error(
        client_for(officer).post(
            "/api/v1/enrollments/", {"cuil": "20-30000000-4", "cycle": 1, "color": "rojo"}, format="json"
        ),
        400,
    )
    assert "color" in body["fields"]


def test_malformed_cuil_in_a_body_is_refused(officer):
    body = assert_error(
        client_for(officer).post("/api/v1/enrollments/", {"cuil": "20-123", "cycle": 1}, format="json"), 400
    )
    assert "cuil" in body["fields"] and body["code"] == "invalid_cuil"


def test_wrong_content_type_answers_415(officer):
    response = client_for(officer).post("/api/v1/enrollments/", "cuil=1", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_malformed_json_answers_400(officer):
    response = client_for(officer).post("/api/v1/enrollments/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_oversized_body_answers_413(officer, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = client_for(officer).post(
        "/api/v1/enrollments/", '{"cuil": "' + "1" * 2000 + '"}', content_type="application/json"
    )
    assert_error(response, 413, "payload_too_large")


def test_unknown_api_path_answers_404_in_the_error_shape(officer):
    assert_error(client_for(officer).get("/api/v1/nothing-here/"), 404, "not_found")


def test_non_numeric_id_answers_404(officer):
    assert_error(client_for(officer).get("/api/v1/workers/abc/"), 404)


def test_bad_filter_value_answers_400(officer):
    assert_error(client_for(officer).get("/api/v1/enrollments/?cycle=abc"), 400)


def test_service_rule_violation_answers_400_with_the_services_message(officer):
    worker = WorkerFactory(birth_date=dt.date(2010, 1, 1))
    cycle = CycleFactory()
    client = client_for(officer)
    body = assert_error(
        client.post("/api/v1/enrollments/", {"cuil": worker.cuil, "cycle": cycle.pk}, format="json"), 400
    )
    assert "18 años" in str(body["fields"])
    assert not Enrollment.objects.exists()


# --- throttling -------------------------------------------------------------------------------


# Windows are fixed (per minute, hour or day); tests use daily rates so no boundary falls mid-test.


def test_each_user_is_throttled(officer, settings):
    settings.API_THROTTLE_RATES = {"user": "3/day", "ip": "1000/day"}
    client = client_for(officer)
    for _ in range(3):
        assert client.get("/api/v1/workers/").status_code == 200
    response = client.get("/api/v1/workers/")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1
    other = client_for(make_user(Role.AUDITOR))
    assert other.get("/api/v1/workers/").status_code == 200


def test_each_client_address_is_throttled_across_users(officer, settings):
    settings.API_THROTTLE_RATES = {"user": "1000/day", "ip": "4/day"}
    a, b = client_for(officer), client_for(make_user(Role.AUDITOR))
    assert [c.get("/api/v1/workers/").status_code for c in (a, b, a, b)] == [200] * 4
    assert_error(b.get("/api/v1/workers/"), 429)
    assert a.get("/api/v1/workers/", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_anonymous_requests_are_throttled_per_address(settings):
    settings.API_THROTTLE_RATES = {"user": "1000/day", "ip": "2/day"}
    client = APIClient()
    assert [client.get("/api/v1/workers/").status_code for _ in range(3)] == [401, 401, 429]


# --- access log -------------------------------------------------------------------------------


def test_every_status_lookup_is_logged_with_who_what_when_and_result(officer):
    enrollment = EnrollmentFactory(organisation=officer.memberships.get().organisation)
    client = client_for(officer)
    client.get(f"/api/v1/status/{enrollment.worker.cuil}/")
    client.get(f"/api/v1/status/{UNKNOWN}/")
    client.get("/api/v1/status/not-a-cuil/", REMOTE_ADDR="10.1.2.3")
    logged = list(StatusLookup.objects.order_by("pk").values_list("user", "cuil", "result"))
    assert logged == [
        (officer.pk, enrollment.worker.cuil, "found"),
        (officer.pk, UNKNOWN, "not_found"),
        (officer.pk, "not-a-cuil", "invalid"),
    ]
    assert StatusLookup.objects.order_by("pk").last().ip == "10.1.2.3"
    assert StatusLookup.objects.first().token is not None


def test_access_log_is_append_only(officer):
    client_for(officer).get(f"/api/v1/status/{UNKNOWN}/")
    with pytest.raises(ProgrammingError, match="Cannot update or delete"), transaction.atomic():
        StatusLookup.objects.update(result="found")
    with pytest.raises(ProgrammingError, match="Cannot update or delete"), transaction.atomic():
        StatusLookup.objects.all().delete()


def test_auditor_reads_and_exports_the_access_log(officer):
    client_for(officer).get(f"/api/v1/status/{UNKNOWN}/")
    auditor = client_for(make_user(Role.AUDITOR))
    rows = auditor.get("/api/v1/access-log/?result=not_found").json()["results"]
    assert [(r["username"], r["cuil"]) for r in rows] == [(officer.username, UNKNOWN)]
    response = auditor.get("/api/v1/access-log/export/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "fecha_hora,usuario,cuil,resultado,ip,token"
    assert lines[1].split(",")[1:4] == [officer.username, UNKNOWN, "not_found"]


@pytest.mark.parametrize(
    "role", [Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER, Role.MINISTRY_REVIEWER, Role.PAYMENTS_OFFICER]
)
def test_only_auditors_read_the_access_log(role):
    org = {Role.PROVINCIAL_OFFICER: OrganisationFactory(), Role.UNION_OFFICER: OrganisationFactory(kind="union")}.get(
        role
    )
    client = client_for(make_user(role, org))
    assert_error(client.get("/api/v1/access-log/"), 403)
    assert_error(client.get("/api/v1/access-log/export/"), 403)


# --- docs -------------------------------------------------------------------------------------


def test_schema_and_docs_pages_render_offline():
    client = APIClient()
    assert client.get("/api/v1/schema/").status_code == 200
    for url in ("/api/v1/docs/", "/api/v1/redoc/"):
        page = client.get(url).content.decode()
        assert "/static/drf_spectacular_sidecar/" in page and "cdn" not in page.lower()


def test_a_forged_forwarded_for_neither_breaks_the_log_nor_dodges_the_throttle(officer, settings):
    settings.API_THROTTLE_RATES = {"user": "1000/day", "ip": "2/day"}
    client = client_for(officer)
    for forged in ("not-an-address", "10.9.9.9"):
        response = client.get(f"/api/v1/status/{UNKNOWN}/", HTTP_X_FORWARDED_FOR=forged)
        assert response.status_code == 404
    assert set(StatusLookup.objects.values_list("ip", flat=True)) == {"127.0.0.1"}
    assert_error(client.get(f"/api/v1/status/{UNKNOWN}/", HTTP_X_FORWARDED_FOR="10.8.8.8"), 429)


@pytest.mark.parametrize("raw", ["%00", "20%0012345678", "%F0%9F%98%80" * 20])
def test_odd_characters_in_the_cuil_answer_400_and_are_logged(officer, raw):
    assert_error(client_for(officer).get(f"/api/v1/status/{raw}/"), 400, "invalid_cuil")
    assert StatusLookup.objects.get().result == "invalid"


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/enrollments/?cycle=99999999999999999999",
        "/api/v1/enrollments/?cuil=%00",
        "/api/v1/workers/?page=99999",
        "/api/v1/workers/?page_size=0",
        "/api/v1/workers/99999999999999999/",
        "/api/v1/referrals/?cycle=-1",
        "/api/v1/access-log/?since=yesterday",
    ],
)
def test_odd_query_values_answer_4xx_in_the_error_shape_or_200(query):
    response = client_for(make_user(Role.AUDITOR)).get(query)
    assert response.status_code in (200, 400, 404), (query, response.status_code)
    if response.status_code != 200:
        assert_error(response, response.status_code)


def test_absurdly_nested_json_answers_400(officer):
    response = client_for(officer).post("/api/v1/enrollments/", "[" * 200_000, content_type="application/json")
    assert_error(response, 400, "parse_error")
