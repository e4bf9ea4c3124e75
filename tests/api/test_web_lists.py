"""The API tokens list and the status lookups log (``provinces.listing``): search, filters that
narrow, a total counted on the filtered rows, and an export of exactly what is filtered,
within what the user may see and safe to open in a spreadsheet."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from api.models import ApiToken, StatusLookup
from api.services import create_token, log_public_lookup, revoke_token
from provinces.roles import Role
from tests.exports import read_csv, read_xlsx
from tests.factories import OrganisationFactory, make_user
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db

TOKENS = "/api-tokens/"
LOG = "/consultas-api/"


def client_for(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.fixture
def tokens():
    union = make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union"), username="sindicato")
    auditor = make_user(Role.AUDITOR, username="auditora")
    active, _key = create_token(by=union, name="=cmd|' /C calc'!A0")
    revoked, _key = create_token(by=union, name="sistema viejo")
    revoke_token(by=union, token=revoked)
    expired, _key = create_token(by=auditor, name="tablero externo")
    past = timezone.now() - dt.timedelta(days=100)
    ApiToken.objects.filter(pk=expired.pk).update(created_at=past, expires_at=past + dt.timedelta(days=10))
    return {"union": union, "auditor": auditor, "active": active, "revoked": revoked, "expired": expired}


def test_the_tokens_list_searches_filters_and_counts(tokens):
    client = client_for(tokens["auditor"])
    page = client.get(TOKENS)
    assert page.context["total_text"] == "3 tokens"
    page = client.get(TOKENS, {"q": "sindicato"})
    assert set(page.context["page"]) == {tokens["active"], tokens["revoked"]}
    assert list(client.get(TOKENS, {"q": tokens["expired"].prefix}).context["page"]) == [tokens["expired"]]
    page = client.get(TOKENS, {"state": "active"})
    assert list(page.context["page"]) == [tokens["active"]] and page.context["total_text"] == "1 token"
    assert list(client.get(TOKENS, {"state": "revoked"}).context["page"]) == [tokens["revoked"]]
    assert list(client.get(TOKENS, {"state": "expired"}).context["page"]) == [tokens["expired"]]
    until = (timezone.localdate() - dt.timedelta(days=50)).strftime("%d/%m/%Y")
    assert list(client.get(TOKENS, {"until": until}).context["page"]) == [tokens["expired"]]


def test_the_tokens_export_is_filtered_scoped_formula_safe_and_holds_no_key(tokens):
    client = client_for(tokens["union"])
    page = client.get(TOKENS)
    assert set(page.context["page"]) == {tokens["active"], tokens["revoked"]}  # not the auditor's
    rows = read_csv(client.get(TOKENS, {"exportar": "csv"}))
    assert rows[0][:3] == ["Usuario", "Nombre", "Prefijo"] and len(rows) == 3
    assert {row[1] for row in rows[1:]} == {"'=cmd|' /C calc'!A0", "sistema viejo"}
    assert tokens["active"].key_hash not in str(rows)
    values = read_xlsx(client.get(TOKENS, {"exportar": "xlsx", "state": "revoked"}))
    assert len(values) == 2 and values[1][1] == "sistema viejo" and values[1][6] == "Revocado"


@pytest.fixture
def lookups():
    asker = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(), username="@SUM(1+1)")
    found = StatusLookup.objects.create(user=asker, cuil="20222758220", result=StatusLookup.Result.FOUND)
    hostile = StatusLookup.objects.create(user=asker, cuil="=1+2", result=StatusLookup.Result.INVALID)
    public = log_public_lookup(cuil="27333444556", result=StatusLookup.Result.NOT_FOUND, ip="10.0.0.1")
    old = StatusLookup.objects.create(
        user=asker, cuil="20111222333", result=StatusLookup.Result.FOUND, at=timezone.now() - dt.timedelta(days=40)
    )
    return {"found": found, "hostile": hostile, "public": public, "old": old}


def test_the_lookups_log_searches_the_cuil_however_typed_and_filters(lookups):
    client = client_for(make_user(Role.AUDITOR))
    page = client.get(LOG)
    assert page.context["total_text"] == "4 consultas" and page.status_code == 200
    for typed in ("20-22275822-0", "20222758220", "22275822"):
        page = client.get(LOG, {"cuil": typed})
        assert list(page.context["page"]) == [lookups["found"]] and page.context["total_text"] == "1 consulta"
    assert list(client.get(LOG, {"cuil": "=1+2"}).context["page"]) == [lookups["hostile"]]
    assert list(client.get(LOG, {"channel": "public"}).context["page"]) == [lookups["public"]]
    assert list(client.get(LOG, {"result": "invalid"}).context["page"]) == [lookups["hostile"]]
    assert len(client.get(LOG, {"who": "@sum"}).context["page"]) == 3
    until = (timezone.localdate() - dt.timedelta(days=30)).strftime("%d/%m/%Y")
    assert list(client.get(LOG, {"until": until}).context["page"]) == [lookups["old"]]


def test_the_lookups_export_holds_exactly_what_is_filtered_and_is_formula_safe(lookups):
    client = client_for(make_user(Role.AUDITOR))
    response = client.get(LOG, {"result": "invalid", "exportar": "csv"})
    assert 'filename="consultas-de-estado.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert len(rows) == 2 and rows[1][2:4] == ["'@SUM(1+1)", "'=1+2"]
    values = read_xlsx(client.get(LOG, {"channel": "public", "exportar": "xlsx"}))
    assert len(values) == 2 and values[1][1:5] == (
        "Consulta pública",
        None,  # no user: an empty cell
        "27-33344455-6",
        "No encontrado o fuera de alcance",
    )


@pytest.mark.parametrize("role", [Role.MINISTRY_REVIEWER, Role.PROVINCIAL_OFFICER])
def test_only_auditors_read_or_export_the_lookups_log(lookups, role):
    client = client_for(make_user(role, OrganisationFactory() if role == Role.PROVINCIAL_OFFICER else None))
    assert client.get(LOG).status_code == 403
    assert client.get(LOG, {"exportar": "csv"}).status_code == 403
