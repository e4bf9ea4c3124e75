"""The claims UI for every role, both ways: who lists, reads, files, takes and decides, and
that another scope's claim (or worker) answers 404 like an unknown one."""

import csv
import io

import pytest
from django.urls import reverse

from claims import services
from claims.models import Claim
from enrollment.models import Enrollment
from tests.factories import CycleFactory, EnrollmentFactory, OrganisationFactory, UserFactory, crop, province
from tests.twofactor import sign_in, verify_client

pytestmark = pytest.mark.django_db
C = Claim.Status


@pytest.fixture
def claim(rejected):
    return services.file_claim(
        by=None, worker=rejected.worker, subject="rejection", enrollment=rejected, description='=HYPERLINK("x")'
    )


@pytest.fixture
def mendoza_claim():
    office = OrganisationFactory(province=province("Mendoza"))
    enrollment = EnrollmentFactory(
        status=Enrollment.Status.SUBMITTED,
        cycle=CycleFactory(agreement__province=province("Mendoza"), crop=crop("vid")),
        worker__registered_by=office,
        worker__province=province("Mendoza"),
    )
    return services.file_claim(by=None, worker=enrollment.worker, subject="data_correction", description="DNI mal")


def login(client, user):
    sign_in(client, user)
    verify_client(client, user)
    return client


@pytest.mark.parametrize(
    ("who", "sees_tucuman", "sees_mendoza"),
    [
        ("reviewer", True, True),
        ("payer", True, True),
        ("auditor", True, True),
        ("officer", True, False),
        ("mendoza_officer", False, True),
        ("union_officer", False, False),
    ],
)
def test_claim_detail_by_role_and_scope(client, request, claim, mendoza_claim, who, sees_tucuman, sees_mendoza):
    login(client, request.getfixturevalue(who))
    for target, sees in ((claim, sees_tucuman), (mendoza_claim, sees_mendoza)):
        response = client.get(reverse("claims:detail", args=[target.pk]))
        assert response.status_code == (200 if sees else 404)
    assert client.get(reverse("claims:detail", args=[999999])).status_code == 404
    listed = {c.pk for c in client.get(reverse("claims:list") + "?status=all").context["page"]}
    assert (claim.pk in listed, mendoza_claim.pk in listed) == (sees_tucuman, sees_mendoza)


def test_user_without_role_reads_no_claims(client, claim):
    client.force_login(UserFactory())
    assert client.get(reverse("claims:list")).status_code == 403
    assert client.get(reverse("claims:detail", args=[claim.pk])).status_code == 403


def test_reviewer_takes_and_upholds_from_the_page(client, claim, reviewer):
    login(client, reviewer)
    client.post(reverse("claims:act", args=[claim.pk, "take"]))
    response = client.post(
        reverse("claims:act", args=[claim.pk, "uphold"]), {"resolution": "Presentó recibos"}, follow=True
    )
    claim.refresh_from_db()
    assert claim.status == C.UPHELD
    assert "reabierta" in response.content.decode()
    assert claim.enrollment.status == Enrollment.Status.PENDING_REVIEW


def test_deny_without_reason_shows_the_message_and_changes_nothing(client, claim, reviewer):
    login(client, reviewer)
    client.post(reverse("claims:act", args=[claim.pk, "take"]))
    response = client.post(reverse("claims:act", args=[claim.pk, "deny"]), {"resolution": ""}, follow=True)
    assert "motivo" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == C.IN_REVIEW


@pytest.mark.parametrize("who", ["officer", "auditor", "union_officer"])
def test_non_deciders_cannot_take(client, request, claim, who):
    login(client, request.getfixturevalue(who))
    response = client.post(reverse("claims:act", args=[claim.pk, "take"]))
    assert response.status_code in (403, 404)
    claim.refresh_from_db()
    assert claim.status == C.RECEIVED


def test_acting_on_another_provinces_claim_is_404(client, mendoza_claim, officer):
    login(client, officer)
    assert client.post(reverse("claims:act", args=[mendoza_claim.pk, "take"])).status_code == 404


def test_officer_files_on_behalf_from_the_worker_page(client, rejected, officer):
    login(client, officer)
    page = client.get(reverse("reports:worker", args=[rejected.worker.pk]))
    assert reverse("claims:file", args=[rejected.worker.pk]) in page.content.decode()
    response = client.post(
        reverse("claims:file", args=[rejected.worker.pk]),
        {"subject": "rejection", "enrollment": rejected.pk, "description": "Tiene recibos de la zafra"},
    )
    claim = Claim.objects.get()
    assert response.status_code == 302 and claim.filed_by == officer
    assert claim.filed_by_kind == Claim.FiledBy.OFFICER


def test_filing_for_a_worker_out_of_scope_is_404(client, mendoza_claim, officer, auditor):
    login(client, officer)
    url = reverse("claims:file", args=[mendoza_claim.worker.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"subject": "data_correction", "description": "x"}).status_code == 404
    login(client, auditor)
    assert client.get(url).status_code == 403
    assert Claim.objects.count() == 1


def test_overdue_view_lists_only_late_open_claims(client, claim, mendoza_claim, reviewer):
    Claim.objects.filter(pk=claim.pk).update(due_on="2020-01-02")
    login(client, reviewer)
    listed = [c.pk for c in client.get(reverse("claims:list") + "?overdue=on").context["page"]]
    assert listed == [claim.pk]


def test_export_is_scoped_and_formula_safe(client, claim, mendoza_claim, officer):
    login(client, officer)
    response = client.get(reverse("claims:list"), {"status": "all", "exportar": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2
    assert rows[1][1] == claim.worker.cuil_display
    assert rows[1][13].startswith("'=")


def test_dashboard_counts_claims(client, claim, mendoza_claim, reviewer, officer):
    Claim.objects.filter(pk=claim.pk).update(due_on="2020-01-02")
    login(client, reviewer)
    sections = {s.key: s for s in client.get(reverse("reports:dashboard")).context["sections"]}
    figures = {f.label: f.value for f in sections["claims"].charts[0].figures}
    assert figures["Recibido"] == 2 and figures["Vencidos sin resolver"] == 1
    login(client, officer)
    sections = {s.key: s for s in client.get(reverse("reports:dashboard")).context["sections"]}
    assert {f.label: f.value for f in sections["claims"].charts[0].figures}["Recibido"] == 1
