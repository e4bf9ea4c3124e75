"""Transfers for a province or a union: the same dashboard section and installment list as the
ministry's, limited to the scope. Every figure is checked three ways: against the list its link
opens, and against a count made here directly in the database within the scope. Two provinces
and two unions (one of them national, with enrollments in both provinces) so a leak would show."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import translation

from payments.models import Installment
from provinces.models import Agreement
from reports import dashboard, sections
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
IS = Installment.Status
OFFICERS = ["tucuman", "mendoza", "union", "union_b"]


def listed(client, url) -> tuple[int, Decimal]:
    response = client.get(url)
    assert response.status_code == 200, url
    body = response.content.decode()
    count = int(re.search(r'data-count="(\d+)"', body).group(1))
    amount = Decimal(re.search(r'data-amount="([\d.]+)"', body).group(1))
    return count, amount


def transfers(user):
    return {s.key: s for s in dashboard.sections_for(user)}.get("transfers")


def in_scope(two_unions, role) -> Q:
    """The scope of each officer, written here from the data rather than from the selectors."""
    world = two_unions.world
    return {
        "tucuman": Q(province=world.tuc_agreement.province),
        "mendoza": Q(province=world.mza_agreement.province),
        "union": Q(enrollment__organisation=world.union),
        "union_b": Q(enrollment__organisation=two_unions.union_b),
    }[role]


def counted(scope: Q, **filters) -> tuple[int, Decimal]:
    rows = Installment.objects.filter(scope, **filters)
    return rows.count(), rows.aggregate(s=Sum("amount"))["s"] or Decimal("0")


def series_states() -> dict:
    return dict(sections.transfer_series())


def month_of(label: str) -> dt.date:
    month, year = label.split("/")
    return dt.date(int(year), int(month), 1)


@pytest.mark.parametrize("role", OFFICERS)
def test_every_figure_in_scope_matches_its_list_and_the_database(two_unions, login, role):
    user = two_unions.world.users[role]
    scope = in_scope(two_unions, role)
    client = login(user)
    section = transfers(user)
    assert [c.key for c in section.charts] == ["installments_by_month", "amounts_by_month"]
    states = series_states()
    checked = 0
    for chart in section.charts:
        for figure in chart.figures:
            expected = counted(scope, month=month_of(figure.label), status__in=states[figure.series])
            count, amount = listed(client, figure.url)
            assert (count, amount) == expected, (role, chart.key, figure)
            assert figure.value == (amount if chart.unit == "ARS" else count), (role, chart.key, figure)
            checked += 1
    months = set(Installment.objects.filter(scope).values_list("month", flat=True))
    assert checked == 2 * len(months) * len(states)
    # the scheduled figures add up to every installment of the scope not cancelled, and to less
    # than the country's: the scope is a real part of it
    scheduled = [f for f in section.charts[0].figures if f.series == "Programadas"]
    in_scope_total = Installment.objects.filter(scope).exclude(status=IS.CANCELLED).count()
    assert sum(f.value for f in scheduled) == in_scope_total
    assert 0 < in_scope_total < Installment.objects.exclude(status=IS.CANCELLED).count()


@pytest.mark.parametrize("role", OFFICERS)
def test_the_ministrys_links_opened_by_an_officer_list_only_the_officers_rows(two_unions, login, role):
    """Every URL of the ministry's section, Mendoza's months and agreement included, opened by an
    officer lists exactly the rows of that figure inside the officer's scope."""
    ministry = transfers(two_unions.world.users["payments"])
    client = login(two_unions.world.users[role])
    scope = in_scope(two_unions, role)
    states = series_states()
    for figure in ministry.charts[0].figures:
        expected = counted(scope, month=month_of(figure.label), status__in=states[figure.series])
        assert listed(client, figure.url) == expected, (role, figure)
    for row in ministry.rows:
        agreement = Agreement.objects.get(number=row.agreement.split(" · ")[0])
        # an agreement out of scope is refused by the filter, and lists nothing
        expected = counted(scope, agreement=agreement, status__in=sections.SCHEDULED_STATES)
        assert listed(client, row.committed_url) == expected, (role, row.agreement)
        assert listed(client, row.paid_url) == counted(scope, agreement=agreement, status=IS.PAID)


def test_a_filter_out_of_scope_lists_nothing_rather_than_everything(two_unions, login):
    world = two_unions.world
    client = login(world.users["tucuman"])
    url = reverse("payments:installment_list")
    mendoza = world.mza_agreement.province_id
    assert listed(client, f"{url}?province={mendoza}") == (0, Decimal("0"))
    assert listed(client, f"{url}?agreement={world.mza_agreement.pk}") == (0, Decimal("0"))
    # without a filter, the whole province and nothing else
    assert listed(client, url) == counted(in_scope(two_unions, "tucuman"))


def test_a_province_sees_the_budget_use_of_its_agreements_only(two_unions, login):
    world = two_unions.world
    for role, agreement in (("tucuman", world.tuc_agreement), ("mendoza", world.mza_agreement)):
        user = world.users[role]
        client = login(user)
        rows = transfers(user).rows
        assert [r.agreement for r in rows] == [f"{agreement.number} · {agreement.province.name}"], role
        row = rows[0]
        scope = in_scope(two_unions, role)
        committed = counted(scope, agreement=agreement, status__in=sections.SCHEDULED_STATES)
        paid = counted(scope, agreement=agreement, status=IS.PAID)
        assert (row.committed_n, row.committed) == committed == listed(client, row.committed_url)
        assert (row.paid_n, row.paid) == paid == listed(client, row.paid_url)
        # within its province, the agreement's use is the whole of it: the other union's rows count
        assert committed == counted(Q(), agreement=agreement, status__in=sections.SCHEDULED_STATES)
        assert row.budget == agreement.budget
        assert client.get(row.budget_url).status_code == 200


@pytest.mark.parametrize("role", ["union", "union_b"])
def test_a_union_gets_its_transfers_without_budget_rows(two_unions, login, role):
    user = two_unions.world.users[role]
    section = transfers(user)
    assert section.charts and section.rows == [] and section.template == ""
    body = login(user).get(reverse("reports:dashboard")).content.decode()
    assert 'id="section-transfers"' in body and 'id="chart-installments_by_month"' in body
    assert 'class="budget"' not in body and "Presupuesto comprometido y pagado" not in body


def test_the_charts_say_what_part_they_cover(two_unions):
    users = two_unions.world.users
    notes = {role: transfers(users[role]).charts[0].note for role in ("payments", "tucuman", "union")}
    assert "Sólo" not in notes["payments"]
    assert notes["tucuman"].endswith("Sólo las cuotas de las provincias en las que actúa.")
    assert notes["union"].endswith("Sólo las cuotas de las inscripciones que registró su organización.")
    with translation.override("en"):
        note = transfers(users["tucuman"]).charts[0].note
    assert note.endswith("Only the installments of the provinces you act in.")


def test_the_dashboard_of_each_officer_shows_only_its_agreements(two_unions, login):
    world = two_unions.world
    tucuman = login(world.users["tucuman"]).get(reverse("reports:dashboard")).content.decode()
    assert 'id="chart-installments_by_month"' in tucuman and "CONV-TUC" in tucuman
    assert "CONV-MZA" not in tucuman
    mendoza = login(world.users["mendoza"]).get(reverse("reports:dashboard")).content.decode()
    assert "CONV-MZA" in mendoza and "CONV-TUC" not in mendoza and "Tucumán" not in mendoza


def test_worker_payments_follow_the_scope(two_unions, login):
    world = two_unions.world
    tuc_worker, mza_worker = two_unions.tuc_worker_b, two_unions.mza_worker_b

    def status(role, worker):
        return login(world.users[role]).get(reverse("payments:worker_payments", args=[worker.pk])).status_code

    assert {r: status(r, tuc_worker) for r in OFFICERS} == {
        "tucuman": 200,
        "mendoza": 404,
        "union": 200,  # UATRE registered the person...
        "union_b": 200,
    }
    # ...but FATRE enrolled them: UATRE sees the worker and none of these installments
    uatre = login(world.users["union"]).get(reverse("payments:worker_payments", args=[tuc_worker.pk]))
    assert list(uatre.context["installments"]) == [] and "Sin cuotas programadas" in uatre.content.decode()
    assert {r: status(r, mza_worker) for r in OFFICERS} == {
        "tucuman": 404,
        "mendoza": 200,
        "union": 404,
        "union_b": 200,
    }
    page = login(world.users["tucuman"]).get(reverse("payments:worker_payments", args=[tuc_worker.pk]))
    assert [i.pk for i in page.context["installments"]] == list(
        Installment.objects.filter(worker=tuc_worker).order_by("month").values_list("pk", flat=True)
    )
    body = page.content.decode()
    assert "Retenida" in body and "padrón de otro programa" not in body
    ministry = login(world.users["payments"]).get(reverse("payments:worker_payments", args=[tuc_worker.pk]))
    assert "Coincide con el padrón de otro programa" in ministry.content.decode()
    # the bank's answer is the union's to act on (a closed account): it is shown
    mza_page = login(world.users["union_b"]).get(reverse("payments:worker_payments", args=[mza_worker.pk]))
    assert "Cuenta cerrada" in mza_page.content.decode()


def test_monthly_totals_follow_the_scope(two_unions, login):
    world = two_unions.world
    for role in OFFICERS:
        rows = list(login(world.users[role]).get(reverse("payments:monthly_totals")).context["rows"])
        scope = in_scope(two_unions, role)
        expected = Installment.objects.filter(scope).exclude(status=IS.CANCELLED)
        assert sum(r["count"] for r in rows) == expected.count(), role
        assert sum(r["total"] for r in rows) == expected.aggregate(s=Sum("amount"))["s"], role
        provinces = {r["province__name"] for r in rows}
        assert provinces == set(expected.values_list("province__name", flat=True)), role


@pytest.mark.parametrize("who", ["reviewer", "no_role"])
def test_roles_without_the_permission_get_no_transfers(two_unions, login, who):
    user = two_unions.world.users["reviewer"] if who == "reviewer" else UserFactory()
    assert transfers(user) is None
    client = login(user)
    for name in ("payments:installment_list", "payments:monthly_totals"):
        assert client.get(reverse(name)).status_code == 403, (who, name)
    worker = two_unions.tuc_worker_b
    assert client.get(reverse("payments:worker_payments", args=[worker.pk])).status_code == 403
