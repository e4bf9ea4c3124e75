"""Screening flags (ministry only) and payment batches (payments roles) through the API."""

import pytest

from provinces.roles import Role
from tests.api.conftest import client_for
from tests.factories import OrganisationFactory, make_user, province

pytestmark = pytest.mark.django_db


def users():
    return {
        Role.PROVINCIAL_OFFICER: make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán"))),
        Role.UNION_OFFICER: make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union")),
        Role.MINISTRY_REVIEWER: make_user(Role.MINISTRY_REVIEWER),
        Role.PAYMENTS_OFFICER: make_user(Role.PAYMENTS_OFFICER),
        Role.AUDITOR: make_user(Role.AUDITOR),
    }


def test_only_ministry_reviewers_and_auditors_read_screening_flags():
    allowed = {Role.MINISTRY_REVIEWER, Role.AUDITOR}
    for role, user in users().items():
        assert client_for(user).get("/api/v1/screening-flags/").status_code == (200 if role in allowed else 403), role


def test_only_payments_officers_and_auditors_read_batches():
    allowed = {Role.PAYMENTS_OFFICER, Role.AUDITOR}
    for role, user in users().items():
        assert client_for(user).get("/api/v1/batches/").status_code == (200 if role in allowed else 403), role
