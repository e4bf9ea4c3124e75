"""The screening runs list (``provinces.listing``): search by description, filters by state,
period, month of pay and days, a total counted on the filtered rows, and an export of exactly
what is filtered, safe to open in a spreadsheet; read by reviewers and auditors only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollment.screening.models import ScreeningRun
from provinces.roles import Role
from tests.exports import read_csv, read_xlsx
from tests.factories import CycleFactory, OrganisationFactory, make_user, province
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db

URL = "/control/corridas/"


@pytest.fixture
def runs(reviewer):
    cycle = CycleFactory(name="Zafra")
    zafra = ScreeningRun.objects.create(
        cycle=cycle,
        label="Zafra · todo el período",
        status=ScreeningRun.Status.DONE,
        total=3,
        done=3,
        started_by=reviewer,
    )
    june = ScreeningRun.objects.create(
        month=dt.date(2026, 6, 1), label="=cmd|' /C calc'!A0", status=ScreeningRun.Status.FAILED, message="@SUM(1)"
    )
    old = ScreeningRun.objects.create(label="Control de prueba", status=ScreeningRun.Status.DONE)
    ScreeningRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=60))
    return zafra, june, old


def test_the_url_is_the_runs_list():
    assert reverse("screening:run_list") == URL


def test_the_runs_list_searches_filters_and_counts(client, reviewer, runs):
    zafra, june, old = runs
    sign_in(client, reviewer)
    page = client.get(URL)
    assert list(page.context["page"]) == [june, zafra, old] and page.context["total_text"] == "3 controles"
    page = client.get(URL, {"q": "zafra"})
    assert list(page.context["page"]) == [zafra] and page.context["total_text"] == "1 control"
    assert list(client.get(URL, {"q": str(old.pk)}).context["page"]) == [old]
    assert list(client.get(URL, {"status": "done"}).context["page"]) == [zafra, old]
    assert list(client.get(URL, {"cycle": zafra.cycle_id}).context["page"]) == [zafra]
    assert list(client.get(URL, {"month": "2026-06"}).context["page"]) == [june]
    until = (timezone.localdate() - dt.timedelta(days=30)).strftime("%d/%m/%Y")
    assert list(client.get(URL, {"until": until}).context["page"]) == [old]
    refused = client.get(URL, {"month": "junio"})
    assert list(refused.context["page"]) == [] and "AAAA-MM" in refused.content.decode()


def test_the_runs_export_holds_exactly_what_is_filtered_and_is_formula_safe(client, runs):
    zafra, june, old = runs
    sign_in(client, make_user(Role.AUDITOR))
    response = client.get(URL, {"status": "failed", "exportar": "csv"})
    assert 'filename="controles.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:2] == ["N°", "Control"] and len(rows) == 2
    assert rows[1][1] == "'=cmd|' /C calc'!A0" and rows[1][3] == "06/2026" and rows[1][-1] == "'@SUM(1)"
    values = read_xlsx(client.get(URL, {"status": "done", "exportar": "xlsx"}))
    assert [row[0] for row in values[1:]] == [zafra.pk, old.pk]
    assert values[1][5:8] == (3, 3, 0)


@pytest.mark.parametrize("role", [Role.PROVINCIAL_OFFICER, Role.PAYMENTS_OFFICER])
def test_roles_without_screening_are_refused_the_list_and_export(client, runs, role):
    org = OrganisationFactory(province=province("Tucumán")) if role == Role.PROVINCIAL_OFFICER else None
    sign_in(client, make_user(role, org))
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"exportar": "csv"}).status_code == 403
