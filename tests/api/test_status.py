"""The beneficiary status lookup: its answer field by field (installments, open referrals, what
each scope sees), its access-log row, and the token requests' own middleware chain."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core import signals
from django.db import close_old_connections

from api.models import StatusLookup
from api.services import create_token
from enrollment.models import Enrollment
from payments.models import Installment, Rate
from provinces.roles import Role
from tests.api.conftest import client_for
from tests.factories import (
    CourseFactory,
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    WorkerFactory,
    make_cuil,
    make_user,
    province,
)
from training.models import Referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def story():
    """A worker registered by a Tucumán union, enrolled twice: by the union in Tucumán (three
    installments: paid, due, cancelled) and by a Mendoza office; an open and a closed referral
    on the Tucumán enrollment and an open one on the Mendoza enrollment."""
    tucuman, mendoza = province("Tucumán"), province("Mendoza")
    union = OrganisationFactory(kind="union", province=tucuman)
    mendoza_office = OrganisationFactory(province=mendoza)
    users = {
        "union": make_user(Role.UNION_OFFICER, union),
        "other_union": make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union", province=tucuman)),
        "mendoza": make_user(Role.PROVINCIAL_OFFICER, mendoza_office),
        "auditor": make_user(Role.AUDITOR),
    }
    worker = WorkerFactory(registered_by=union)
    in_tucuman = EnrollmentFactory(
        worker=worker, organisation=union, status=Enrollment.Status.ACTIVE, cycle=CycleFactory(name="Tucumán 2026")
    )
    in_mendoza = EnrollmentFactory(
        worker=worker,
        organisation=mendoza_office,
        status=Enrollment.Status.APPROVED,
        cycle=CycleFactory(agreement__province=mendoza, first_month=dt.date(2026, 9, 1), name="Mendoza 2026"),
    )
    # microseconds with a trailing zero: PostgreSQL's JSON drops it, the API's answer keeps DRF's form
    changed = dt.datetime(2026, 5, 3, 12, 30, 5, 120_000, tzinfo=dt.UTC)
    Enrollment.objects.filter(pk=in_tucuman.pk).update(status_changed_at=changed)
    rate = Rate.objects.create(amount=Decimal("85000.50"), effective_month=dt.date(2026, 1, 1), resolution="R 1")
    for number, status in [(1, "paid"), (2, "due"), (3, "cancelled")]:
        Installment.objects.create(
            enrollment=in_tucuman,
            worker=worker,
            agreement=in_tucuman.cycle.agreement,
            province=tucuman,
            number=number,
            month=dt.date(2026, 4 + number, 1),
            rate=rate,
            amount=Decimal("85000.50"),
            status=status,
            cancelled_at=changed if status == "cancelled" else None,
        )
    reviewer = make_user(Role.MINISTRY_REVIEWER)
    referrals = {
        "open": Referral.objects.create(
            enrollment=in_tucuman,
            worker=worker,
            line="vocational",
            course=CourseFactory(),
            referred_on="2026-06-01",
            referred_by=reviewer,
        ),
        "closed": Referral.objects.create(
            enrollment=in_tucuman,
            worker=worker,
            line="self_employment",
            status="completed",
            referred_on="2026-05-01",
            referred_by=reviewer,
        ),
        "mendoza": Referral.objects.create(
            enrollment=in_mendoza, worker=worker, line="self_employment", referred_on="2026-07-01", referred_by=reviewer
        ),
    }
    return {"users": users, "worker": worker, "tucuman": in_tucuman, "mendoza": in_mendoza, "referrals": referrals}


def _enrollment(e: Enrollment, items: list[tuple[int, str]]) -> dict:
    e.refresh_from_db()
    changed = e.status_changed_at and e.status_changed_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return {
        "id": e.pk,
        "cycle": e.cycle_id,
        "cycle_name": e.cycle.name,
        "province": e.cycle.agreement.province.name,
        "crop": e.cycle.crop.name,
        "first_month": e.cycle.first_month.isoformat(),
        "months": e.cycle.months,
        "status": e.status,
        "status_changed_at": changed,
        "installments": {
            "paid": sum(1 for _n, s in items if s == "paid"),
            "pending": sum(1 for _n, s in items if s != "paid"),
            "items": [
                {
                    "number": n,
                    "month": dt.date(2026, 4 + n, 1).isoformat(),
                    "amount": "85000.50",
                    "status": s,
                    "pickup_day": None,
                }
                for n, s in items
            ],
        },
    }


def _referral(r: Referral) -> dict:
    return {
        "id": r.pk,
        "line": r.line,
        "status": r.status,
        "referred_on": str(r.referred_on),
        "course": r.course.topic if r.course else None,
        "office": None,
    }


def test_the_union_gets_its_enrollment_with_installments_and_open_referrals_and_nothing_else(story):
    body = client_for(story["users"]["union"]).get(f"/api/v1/status/{story['worker'].cuil}/").json()
    worker = story["worker"]
    assert body == {
        "cuil": worker.cuil,
        "last_name": worker.last_name,
        "first_name": worker.first_name,
        # the cancelled installment is left out; the Mendoza office's enrollment is not the union's
        "enrollments": [_enrollment(story["tucuman"], [(1, "paid"), (2, "due")])],
        # the completed referral is closed; the Mendoza one hangs from an enrollment it cannot see
        "open_referrals": [_referral(story["referrals"]["open"])],
    }


def test_a_national_role_gets_every_enrollment_newest_cycle_first_and_every_open_referral(story):
    body = client_for(story["users"]["auditor"]).get(f"/api/v1/status/{story['worker'].cuil}/").json()
    assert body["enrollments"] == [
        _enrollment(story["mendoza"], []),
        _enrollment(story["tucuman"], [(1, "paid"), (2, "due")]),
    ]
    assert body["open_referrals"] == [_referral(story["referrals"][k]) for k in ("mendoza", "open")]


def test_a_provincial_officer_sees_the_worker_through_an_enrollment_in_their_province(story):
    body = client_for(story["users"]["mendoza"]).get(f"/api/v1/status/{story['worker'].cuil}/").json()
    assert body["enrollments"] == [_enrollment(story["mendoza"], [])]
    assert body["open_referrals"] == [_referral(story["referrals"]["mendoza"])]


@pytest.mark.parametrize("who", ["union", "other_union"])
def test_each_lookup_is_logged_by_the_statement_that_answers_it(story, who):
    user = story["users"][who]
    token, key = create_token(by=user, name="registro")
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    before = dt.datetime.now(dt.UTC)
    status = client.get(f"/api/v1/status/{story['worker'].cuil}/", REMOTE_ADDR="10.4.4.4").status_code
    [row] = StatusLookup.objects.filter(user=user)
    expected = "found" if who == "union" else "not_found"
    assert status == (200 if who == "union" else 404)
    assert (row.token_id, row.cuil, row.result, row.ip) == (token.pk, story["worker"].cuil, expected, "10.4.4.4")
    assert before <= row.at <= dt.datetime.now(dt.UTC)


def test_a_user_without_a_role_finds_nobody_and_is_logged(story):
    from tests.factories import UserFactory

    user = UserFactory()
    response = client_for(user).get(f"/api/v1/status/{story['worker'].cuil}/")
    assert response.status_code == 404
    assert StatusLookup.objects.get(user=user).result == "not_found"


# --- the WSGI entry point: token requests take the API's own middleware chain ------------------


@pytest.fixture
def wsgi():
    """Call ``config.wsgi.application`` inside the test's transaction (as Django's test client
    does, the request signals must not close the connection)."""
    from config.wsgi import application

    def call(path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "HTTP_HOST": "localhost",
            "REMOTE_ADDR": "10.5.5.5",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": io.StringIO(),
            **headers,
        }
        seen: dict = {}

        def start_response(status, response_headers, exc_info=None):
            seen["status"], seen["headers"] = status, dict(response_headers)

        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            result = application(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                result.close()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        return seen["status"], seen["headers"], body

    return call


def test_a_token_request_served_by_the_wsgi_app_answers_as_through_the_full_chain(story, wsgi):
    user = story["users"]["union"]
    _token, key = create_token(by=user, name="wsgi")
    url = f"/api/v1/status/{story['worker'].cuil}/"
    status, headers, body = wsgi(url, HTTP_AUTHORIZATION=f"Token {key}")
    full = client_for(user).get(url)
    assert status == "200 OK" and json.loads(body) == full.json()
    assert headers["X-Frame-Options"] == "DENY" and headers["Content-Language"] == "es-ar"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert StatusLookup.objects.filter(user=user, result="found", ip="10.5.5.5").count() == 1
    # The address throttle, the host check and the error shape are in the token chain too.
    status, _headers, body = wsgi(f"/api/v1/status/{make_cuil(99_999_997)}/", HTTP_AUTHORIZATION="Bearer nope")
    assert status.startswith("401") and json.loads(body)["code"] == "token_invalid"
    assert wsgi(url, HTTP_AUTHORIZATION=f"Token {key}", HTTP_HOST="evil.example")[0].startswith("400")


def test_without_a_token_the_wsgi_app_takes_the_full_chain(story, wsgi):
    status, headers, body = wsgi(f"/api/v1/status/{story['worker'].cuil}/")
    assert status.startswith(("401", "403")) and json.loads(body)["status"] in (401, 403)
    assert wsgi("/ingresar/")[0] == "200 OK"  # the web UI's login page, with its session middleware


def test_the_token_check_and_the_lookup_run_as_prepared_statements(story, settings):
    from django.db import connection

    if not settings.API_PREPARED_STATEMENTS:
        pytest.skip("prepared statements turned off (API_PREPARED_STATEMENTS=0)")
    client_for(story["users"]["union"]).get(f"/api/v1/status/{story['worker'].cuil}/")
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    assert any(s.startswith("WITH status_worker") and "INSERT INTO api_statuslookup" in s for s in statements)
    assert any(s.startswith('SELECT "api_apitoken"."id"') for s in statements)


def test_an_installment_on_a_pickup_order_answers_its_day_and_only_within_scope(story):
    from payments.models import BatchItem, PaymentBatch

    worker = story["worker"]
    installment = Installment.objects.get(enrollment=story["tucuman"], number=2)
    Installment.objects.filter(pk=installment.pk).update(status="in_batch")
    batch = PaymentBatch.objects.create(month=dt.date(2026, 6, 1), built_by=story["users"]["auditor"])
    BatchItem.objects.create(
        batch=batch,
        installment=installment,
        province=installment.province,
        reference=f"B{batch.pk:06d}C{installment.pk:012d}",
        method="pickup",
        cbu="",
        cuil=worker.cuil,
        name="GONZALEZ MARIA",
        amount=installment.amount,
        pickup_day=dt.date(2027, 1, 12),
        pickup_until=dt.date(2027, 2, 9),
        branch="FAMAILLA",
    )
    body = client_for(story["users"]["union"]).get(f"/api/v1/status/{worker.cuil}/").json()
    items = body["enrollments"][0]["installments"]["items"]
    assert [(i["number"], i["status"], i["pickup_day"]) for i in items] == [
        (1, "paid", None),
        (2, "in_batch", "2027-01-12"),
    ]
    assert client_for(story["users"]["other_union"]).get(f"/api/v1/status/{worker.cuil}/").status_code == 404
