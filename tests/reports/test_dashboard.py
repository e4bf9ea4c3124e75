"""Dashboard figures, tested against the rows they summarise, per role and scope; every
figure links to the list that shows exactly those rows."""

import re
from decimal import Decimal

import pytest
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse

from enrollment.models import Enrollment
from reports import dashboard, selectors
from tests.factories import UserFactory, crop
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db
S = Enrollment.Status


def figures(chart):
    return {f.label: f.value for f in chart.figures}


def test_ministry_sees_enrollments_by_status_province_and_crop_of_the_whole_country(world):
    user = world.users["reviewer"]
    assert figures(selectors.enrollments_by_status(user)) == {
        "Presentada": 2,
        "Aprobada": 7,
        "Activa": 2,
        "Rechazada": 1,
        "Dada de baja": 1,
    }
    assert figures(selectors.enrollments_by_province(user)) == {"Mendoza": 5, "Tucumán": 8}
    by_crop = figures(selectors.enrollments_by_crop(user))
    assert by_crop == {crop("cana").name: 6, crop("citricos").name: 2, crop("vid").name: 5}


def test_figures_equal_the_database_for_every_status(world):
    user = world.users["auditor"]
    expected = {
        str(S(row["status"]).label): row["n"]
        for row in Enrollment.objects.order_by().values("status").annotate(n=Count("pk"))
    }
    assert figures(selectors.enrollments_by_status(user)) == expected


def test_provincial_officer_sees_only_its_province(world):
    user = world.users["tucuman"]
    assert figures(selectors.enrollments_by_province(user)) == {"Tucumán": 8}
    assert figures(selectors.enrollments_by_status(user)) == {
        "Presentada": 2,
        "Aprobada": 3,
        "Activa": 2,
        "Rechazada": 1,
    }
    budget = figures(selectors.budget_by_agreement(user))
    assert list(budget) == ["CONV-TUC · Tucumán"]


def test_union_sees_only_what_it_registered_and_no_budget(world):
    user = world.users["union"]
    assert figures(selectors.enrollments_by_status(user)) == {"Activa": 2, "Rechazada": 1}
    assert figures(selectors.enrollments_by_province(user)) == {"Tucumán": 3}
    assert selectors.budget_by_agreement(user) is None
    assert selectors.quota_usage_by_agreement(user) == []
    assert [s.key for s in dashboard.sections_for(user)] == ["queue", "enrollments"]


def test_budget_per_agreement_is_the_agreements_budget(world):
    budget = figures(selectors.budget_by_agreement(world.users["payments"]))
    assert budget == {"CONV-MZA · Mendoza": Decimal("500000.00"), "CONV-TUC · Tucumán": Decimal("1234567.89")}


def test_quota_usage_counts_places_taken_excluding_rejected_and_withdrawn(world):
    rows = {
        (r.agreement, r.crop): (r.taken, r.quota) for r in selectors.quota_usage_by_agreement(world.users["reviewer"])
    }
    assert rows == {
        ("CONV-MZA · Mendoza", crop("vid").name): (4, 8),
        ("CONV-TUC · Tucumán", crop("cana").name): (5, 10),
        ("CONV-TUC · Tucumán", crop("citricos").name): (2, 5),
    }


@pytest.mark.parametrize("role", ["reviewer", "auditor", "tucuman", "mendoza", "union"])
def test_every_enrollment_figure_links_to_a_list_with_exactly_that_many_rows(world, login, role):
    user = world.users[role]
    client = login(user)
    for chart in dashboard.enrollment_section(user).charts:
        assert chart.figures, chart.key
        for figure in chart.figures:
            page = client.get(figure.url).content.decode()
            count = int(re.search(r'data-count="(\d+)"', page).group(1))
            assert count == figure.value, (chart.key, figure.label, figure.url)


def test_quota_figures_link_to_the_enrollments_of_that_agreement_and_crop(world, login):
    client = login(world.users["reviewer"])
    for row in selectors.quota_usage_by_agreement(world.users["reviewer"]):
        page = client.get(row.url).content.decode()
        listed = int(re.search(r'data-count="(\d+)"', page).group(1))
        # The list shows every enrollment of the agreement and crop, released ones included.
        released = Enrollment.objects.filter(
            cycle__agreement__number=row.agreement.split(" · ")[0],
            cycle__crop__name=row.crop,
            status__in=Enrollment.RELEASED_STATES,
        ).count()
        assert listed == row.taken + released


def test_dashboard_page_shows_figures_in_argentine_format_with_links(world, login):
    body = login(world.users["reviewer"]).get(reverse("reports:dashboard")).content.decode()
    assert "1.234.567,89" in body  # budget of CONV-TUC
    assert reverse("provinces:agreement_detail", args=[world.tuc_agreement.pk]) in body
    assert "/inscripciones/?status=approved" in body
    assert "vendor/chartjs/chart.umd.min.js" in body
    assert 'id="chart-enrollments_by_status"' in body


def test_budget_table_columns_have_distinct_titles():
    row = {"agreement": "CONV-TUC", "budget": 1, "committed": 1, "committed_n": 1, "paid": 1, "paid_n": 1}
    body = render_to_string("reports/_budget_table.html", {"section": {"rows": [row]}})
    assert ">Cuotas comprometidas</th>" in body and ">Cuotas pagadas</th>" in body
    assert ">Cuotas</th>" not in body


def test_dashboard_page_of_a_province_never_mentions_another_province(world, login):
    body = login(world.users["mendoza"]).get(reverse("reports:dashboard")).content.decode()
    assert "Mendoza" in body
    assert "Tucumán" not in body and "CONV-TUC" not in body


def test_dashboard_needs_a_role(db, client):
    sign_in(client, UserFactory())
    assert client.get(reverse("reports:dashboard")).status_code == 403


def test_dashboard_requires_login(client):
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_another_app_can_add_a_section(world, login):
    def extra(user):
        chart = selectors.Chart(key="extra", title="Cuotas pagadas", figures=[selectors.Figure("Mayo", 3, "/x/")])
        return dashboard.Section(key="extra", title="Pagos", charts=[chart])

    dashboard.register_section("extra", extra, order=30)
    try:
        keys = [s.key for s in dashboard.sections_for(world.users["reviewer"])]
        assert keys == ["queue", "enrollments", "agreements", "extra"]
    finally:
        dashboard._SECTIONS.pop("extra")


def test_filters_of_the_enrollment_list_never_widen_the_scope(world, login):
    client = login(world.users["tucuman"])
    page = client.get(reverse("enrollment:enrollment_list"), {"province": world.mza_agreement.province_id})
    # Mendoza is not even a valid choice for a Tucumán officer: the filter is refused with an
    # error next to it and lists nothing (never read as "every one", never wider than Tucumán).
    body = page.content.decode()
    count = int(re.search(r'data-count="(\d+)"', body).group(1))
    assert count == 0 and 'role="alert"' in body
    assert "CONV-MZA" not in body and "Subsecretaría de Trabajo Mendoza" not in body
    unfiltered = client.get(reverse("enrollment:enrollment_list")).content.decode()
    assert int(re.search(r'data-count="(\d+)"', unfiltered).group(1)) == 8


def test_each_role_sees_what_it_acts_on_next(world, login):
    def queue(role):
        return {f.label: f.value for f in selectors.work_queue(world.users[role])}

    assert queue("reviewer") == {"Pendiente de revisión": 0, "Presentada": 2, "En control": 0}
    assert queue("payments") == {"Aprobada": 7, "Activa": 2}
    assert queue("tucuman") == {"Presentada": 2, "Rechazada": 1, "Suspendida": 0}
    assert queue("union") == {"Presentada": 0, "Rechazada": 1, "Suspendida": 0}
    assert queue("mendoza") == {"Presentada": 0, "Rechazada": 0, "Suspendida": 0}
    assert queue("auditor") == {}
    body = login(world.users["tucuman"]).get(reverse("reports:dashboard")).content.decode()
    assert 'href="/inscripciones/?status=rejected"' in body and "Para atender" in body


def test_reviewers_queue_figures_open_the_review_queue_with_those_enrollments(world, login):
    client = login(world.users["reviewer"])
    for figure in selectors.work_queue(world.users["reviewer"]):
        assert figure.url.startswith(reverse("enrollment:review_queue"))
        page = client.get(figure.url).content.decode()
        assert re.search(r'data-count="(\d+)"', page).group(1) == str(figure.value), figure.label
