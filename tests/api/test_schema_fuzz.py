"""Property-based run of the whole OpenAPI schema with schemathesis, in-process against the
WSGI app and the test database: no 5xx, and every answer matches the schema (status codes,
content type, body). Bounded: a few examples per operation."""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.services import create_token, log_status_lookup
from config.wsgi import application
from enrollment.models import Enrollment
from provinces.roles import Role
from tests.factories import (
    CourseFactory,
    EmploymentOfficeFactory,
    EnrollmentFactory,
    OrganisationFactory,
    make_user,
    province,
)
from training.models import Referral

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# Loaded once at import: serving the schema touches no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
# The coverage phase sends hundreds of boundary cases per operation; the hypothesis-driven
# fuzzing phase (valid and invalid data) keeps the run within seconds.
# FUZZ_COVERAGE=1 turns the coverage phase on for a longer, exhaustive run.
schema.config.phases.coverage.enabled = bool(os.environ.get("FUZZ_COVERAGE"))


@pytest.fixture
def in_process_app(db, settings):  # noqa: ARG001  (db: requests run inside the test's transaction)
    settings.API_THROTTLE_RATES = {"user": "100000/min", "ip": "100000/min"}
    # Like Django's test client: keep the test's connection (and transaction) across requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def officer_key(db):
    return _world_and_key(make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán"))))


@pytest.fixture
def auditor_key(db):
    return _world_and_key(make_user(Role.AUDITOR))


def _world_and_key(user):
    # Some data in the user's scope, so that lists and details answer with real rows.
    enrollment = EnrollmentFactory(status=Enrollment.Status.ACTIVE)
    course = CourseFactory()
    EmploymentOfficeFactory()
    Referral.objects.create(
        enrollment=enrollment,
        worker=enrollment.worker,
        line="vocational",
        course=course,
        referred_on="2026-06-01",
        referred_by=user,
    )
    _token, key = create_token(by=user, name="schemathesis")
    log_status_lookup(by=user, token=None, cuil=enrollment.worker.cuil, result="found", ip="10.0.0.1")
    return key


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_schema_holds_for_generated_requests(case, in_process_app, officer_key):
    case.call_and_validate(headers={"Authorization": f"Token {officer_key}"}, checks=CHECKS)


@schema.include(method="GET").parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_schema_holds_for_an_auditors_reads(case, in_process_app, auditor_key):
    """The auditor sees every list with rows in it (the access log included)."""
    case.call_and_validate(headers={"Authorization": f"Token {auditor_key}"}, checks=CHECKS)
