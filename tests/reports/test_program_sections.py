"""Dashboard sections of transfers, screening flags and referrals: figures tested against the
rows they summarise, per role and scope; every figure links to the list that shows exactly
those rows (its count, and for money its amount)."""

import re
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse

from enrollment.screening.models import MatchFlag
from payments.models import Installment
from provinces.models import Agreement
from reports import dashboard, sections
from training.models import Referral
from training.selectors import referrals_for

pytestmark = pytest.mark.django_db
IS = Installment.Status


def cells(chart):
    return {(f.label, f.series): f.value for f in chart.figures}


def listed(client, url) -> tuple[int, Decimal | None]:
    response = client.get(url)
    assert response.status_code == 200, url
    body = response.content.decode()
    count = int(re.search(r'data-count="(\d+)"', body).group(1))
    amount = re.search(r'data-amount="([\d.]+)"', body)
    return count, Decimal(amount.group(1)) if amount else None


def section(user, key):
    return {s.key: s for s in dashboard.sections_for(user)}.get(key)


# --- transfers ------------------------------------------------------------------------------


def test_installments_per_month_count_scheduled_paid_rejected_and_held(activity):
    by_month, amounts = sections.installments_by_month(activity.world.users["payments"])
    figures = cells(by_month)
    # May: 5 paid in Tucumán. June: Tucumán 3 cane (paid, rejected, held) + 2 citrus (due, in
    # a batch); Mendoza 2 paid, 1 held, 1 cancelled (not scheduled). July: 4 due in Mendoza.
    assert figures[("05/2026", "Programadas")] == 5 and figures[("05/2026", "Pagadas")] == 5
    assert figures[("06/2026", "Programadas")] == 8
    assert figures[("06/2026", "Pagadas")] == 3
    assert figures[("06/2026", "Rechazadas")] == 1
    assert figures[("06/2026", "Retenidas")] == 2
    assert figures[("07/2026", "Programadas")] == 4 and figures[("07/2026", "Pagadas")] == 0
    june_paid = Installment.objects.filter(month="2026-06-01", status=IS.PAID).aggregate(s=Sum("amount"))["s"]
    assert cells(amounts)[("06/2026", "Pagadas")] == june_paid == Decimal("95000.50") + 2 * Decimal("110000.25")
    scheduled = Installment.objects.exclude(status=IS.CANCELLED).aggregate(s=Sum("amount"))["s"]
    assert sum(v for (_m, s), v in cells(amounts).items() if s == "Programadas") == scheduled


def test_budget_use_is_committed_and_paid_against_each_agreements_budget(activity):
    world = activity.world
    rows = sections.budget_use(world.users["payments"])
    by_agreement = {r.agreement: r for r in rows}
    tuc = by_agreement["CONV-TUC · Tucumán"]
    assert tuc.budget == Decimal("1234567.89")
    assert tuc.committed == 6 * Decimal("95000.50") + 4 * Decimal("80000.00")
    assert tuc.paid == 4 * Decimal("95000.50") + 2 * Decimal("80000.00")
    assert (tuc.committed_n, tuc.paid_n) == (10, 6)
    mza = by_agreement["CONV-MZA · Mendoza"]
    assert mza.committed == 7 * Decimal("110000.25")  # the cancelled one commits nothing
    assert mza.percent_committed == Decimal("154.0")  # over budget shows as such


@pytest.mark.parametrize("role", ["payments", "auditor"])
def test_every_transfer_figure_links_to_the_installments_it_counts(activity, login, role):
    user = activity.world.users[role]
    client = login(user)
    transfers = section(user, "transfers")
    assert [c.key for c in transfers.charts] == ["installments_by_month", "amounts_by_month"]
    checked = 0
    for chart in transfers.charts:
        for figure in chart.figures:
            count, amount = listed(client, figure.url)
            if chart.unit == "ARS":
                assert amount == figure.value, (chart.key, figure)
            else:
                assert count == figure.value, (chart.key, figure)
            checked += 1
    assert checked == 2 * 3 * 4  # two charts, three months, four series
    assert [r.agreement for r in transfers.rows] == ["CONV-MZA · Mendoza", "CONV-TUC · Tucumán"]
    for row in transfers.rows:
        assert listed(client, row.committed_url) == (row.committed_n, row.committed)
        assert listed(client, row.paid_url) == (row.paid_n, row.paid)
        # the budget links to the agreement, whose budget it is
        agreement = Agreement.objects.get(number=row.agreement.split(" · ")[0])
        assert row.budget_url == reverse("provinces:agreement_detail", args=[agreement.pk])
        assert row.budget == agreement.budget


def test_roles_outside_payments_get_no_transfers_and_no_installment_list(activity, login):
    user = activity.world.users["reviewer"]
    assert section(user, "transfers") is None
    assert login(user).get(reverse("payments:installment_list")).status_code == 403
    # (provincial and union officers get theirs, within scope: tests/reports/test_scoped_transfers.py)


def test_installment_list_filters_by_province_and_month(activity, login):
    client = login(activity.world.users["payments"])
    mendoza = activity.world.mza_agreement.province_id
    url = reverse("payments:installment_list")
    assert listed(client, f"{url}?province={mendoza}&month=2026-07") == (4, 4 * Decimal("110000.25"))
    # A malformed month is refused by the form, never read as "every month".
    body = client.get(f"{url}?month=julio").content.decode()
    assert "AAAA-MM" in body


# --- screening flags ------------------------------------------------------------------------


def test_flags_open_and_resolved_by_kind_and_level(activity):
    charts = {c.key: c for c in sections.flag_charts(activity.world.users["reviewer"])}
    kinds = cells(charts["flags_by_kind"])
    programme, registry = str(MatchFlag.Kind.PROGRAMME.label), str(MatchFlag.Kind.REGISTRY.label)
    assert kinds[(programme, "Sin resolver")] == 2 and kinds[(programme, "Resueltas")] == 0
    assert kinds[(registry, "Sin resolver")] == 2 and kinds[(registry, "Resueltas")] == 1
    levels = cells(charts["flags_by_level"])
    same, possible = str(MatchFlag.Level.SAME.label), str(MatchFlag.Level.POSSIBLE.label)
    assert (levels[(same, "Sin resolver")], levels[(same, "Resueltas")]) == (2, 1)
    assert (levels[(possible, "Sin resolver")], levels[(possible, "Resueltas")]) == (2, 2)
    decisions = {f.label: f.value for f in charts["flag_decisions"].figures}
    assert decisions == {
        "Es la misma persona": 1,
        "No es la misma persona": 1,
        "Ya no aplica": 1,
        "Aceptada por un revisor": 0,
    }
    assert sum(levels.values()) == MatchFlag.objects.count()


@pytest.mark.parametrize("role", ["reviewer", "auditor"])
def test_every_flag_figure_links_to_the_flags_it_counts(activity, login, role):
    user = activity.world.users[role]
    client = login(user)
    charts = section(user, "screening").charts
    assert len(charts) == 3
    for chart in charts:
        for figure in chart.figures:
            assert listed(client, figure.url)[0] == figure.value, (chart.key, figure)


@pytest.mark.parametrize("role", ["payments", "tucuman", "mendoza", "union"])
def test_roles_outside_screening_get_no_flags(activity, login, role):
    user = activity.world.users[role]
    assert section(user, "screening") is None
    assert login(user).get(reverse("screening:flag_list")).status_code == 403


# --- referrals ------------------------------------------------------------------------------


def test_referral_outcomes_of_the_whole_country(activity):
    charts = {c.key: c for c in sections.referral_charts(activity.world.users["reviewer"])}
    outcomes = {f.label: f.value for f in charts["referrals_by_status"].figures}
    assert outcomes == {
        "Derivada": 1,
        "Aceptada": 1,
        "Cursando": 2,
        "Finalizada": 2,
        "Abandonó": 1,
        "No se presentó": 1,
        "Rechazada por la persona": 1,
    }
    lines = cells(charts["referrals_by_line"])
    vocational = str(Referral.Line.VOCATIONAL.label)
    assert lines[(vocational, "En curso")] == 1
    assert lines[(vocational, "Finalizadas")] == 2
    assert lines[(vocational, "Sin completar")] == 1
    assert lines[(vocational, "Obtuvieron empleo")] == 2
    assert (str(Referral.Line.MOBILITY.label), "En curso") not in lines  # no referrals on that line


def test_provincial_officer_counts_only_the_referrals_in_its_scope(activity):
    world = activity.world
    mendoza = {f.label: f.value for f in sections.referral_charts(world.users["mendoza"])[0].figures}
    # Mendoza's four beneficiaries (one on a Tucumán course): nothing of Tucumán's own.
    assert mendoza == {
        "Derivada": 0,
        "Aceptada": 1,
        "Cursando": 1,
        "Finalizada": 1,
        "Abandonó": 0,
        "No se presentó": 1,
        "Rechazada por la persona": 0,
    }
    by_line = sections.referral_charts(world.users["mendoza"])[1].figures
    assert sum(f.value for f in by_line if f.series == "Obtuvieron empleo") == 1
    tucuman = sections.referral_charts(world.users["tucuman"])[0]
    assert tucuman.total == referrals_for(world.users["tucuman"]).count()
    assert referrals_for(world.users["tucuman"]).count() == 6  # its five and the one on its course


@pytest.mark.parametrize("role", ["reviewer", "auditor", "tucuman", "mendoza"])
def test_every_referral_figure_links_to_the_referrals_it_counts(activity, login, role):
    user = activity.world.users[role]
    client = login(user)
    charts = section(user, "referrals").charts
    assert [c.key for c in charts] == ["referrals_by_status", "referrals_by_line"]
    for chart in charts:
        for figure in chart.figures:
            assert listed(client, figure.url)[0] == figure.value, (chart.key, figure)


@pytest.mark.parametrize("role", ["payments", "union"])
def test_roles_outside_training_get_no_referrals(activity, login, role):
    user = activity.world.users[role]
    assert section(user, "referrals") is None
    assert login(user).get(reverse("training:referral_list")).status_code == 403


def test_referral_list_never_widens_the_scope(activity, login):
    world = activity.world
    client = login(world.users["mendoza"])
    url = reverse("training:referral_list")
    # Tucumán is not a choice for Mendoza's officer: the filter is refused and lists nothing.
    refused = client.get(f"{url}?province={world.tuc_agreement.province_id}")
    assert "Seleccione una opción válida" in refused.content.decode()
    assert listed(client, f"{url}?province={world.tuc_agreement.province_id}")[0] == 0
    assert listed(client, url)[0] == 4


# --- the page -------------------------------------------------------------------------------


def test_payments_dashboard_page_shows_money_in_argentine_format_with_links(activity, login):
    body = login(activity.world.users["payments"]).get(reverse("reports:dashboard")).content.decode()
    assert 'id="chart-installments_by_month"' in body and 'id="chart-amounts_by_month"' in body
    assert "890.003,00" in body  # CONV-TUC committed: 6 × 95.000,50 + 4 × 80.000,00
    assert "/pagos/cuotas/?month=2026-06&amp;status=paid" in body
    assert "Transferencias" in body


def test_provincial_dashboard_never_mentions_another_province(activity, login):
    body = login(activity.world.users["mendoza"]).get(reverse("reports:dashboard")).content.decode()
    assert 'id="chart-referrals_by_status"' in body
    assert "Tucumán" not in body and "CONV-TUC" not in body
    assert 'id="chart-installments_by_month"' in body and 'id="chart-flags_by_kind"' not in body


def test_dashboard_queries_do_not_grow_with_the_data(activity, login, django_assert_max_num_queries):
    client = login(activity.world.users["auditor"])
    with django_assert_max_num_queries(30):
        assert client.get(reverse("reports:dashboard")).status_code == 200


def test_english_dashboard_and_lists_use_english_texts_and_formats(activity, login):
    client = login(activity.world.users["auditor"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("reports:dashboard")).content.decode()
    assert "Installments per month" in body and "Screening flags by kind" in body
    assert "Referrals and outcomes" in body and "890,003.00" in body
    installments = client.get(reverse("payments:installment_list") + "?month=2026-07").content.decode()
    assert "4 installments for ARS 440,001.00" in installments
