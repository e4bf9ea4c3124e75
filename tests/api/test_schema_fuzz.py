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

from api.services import create_token
from config.wsgi import application
from enrollment.models import Enrollment
from provinces.roles import Role
from tests.factories import CourseFactory, EnrollmentFactory, OrganisationFactory, make_user, province

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
    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    enrollment = EnrollmentFactory(status=Enrollment.Status.ACTIVE)
    CourseFactory()
    # some state so detail routes with small ids can find something
    assert enrollment.pk
    _token, key = create_token(by=officer, name="schemathesis")
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
