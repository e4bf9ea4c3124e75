"""The rates page: a payments officer proposes an amount typed as in Argentina, another one
approves it; the proposer cannot, other roles are refused both ways, errors are in Spanish."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from payments import rates
from payments.models import Installment, Rate
from provinces.roles import Role
from tests.factories import OrganisationFactory, make_user
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db
URL = "/pagos/montos/"
JUNE = dt.date(2026, 6, 1)


def proposal(**extra):
    return {"amount": "80.000,00", "effective_month": "2026-06", "resolution": "Res. SE 12/2026", **extra}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_an_officer_proposes_and_another_approves_from_the_page(client, approved, officer, second_officer):
    enrollment = approved()
    sign_in(client, officer)
    response = client.post(URL, proposal(published_on="02/06/2026", notes="Boletín Oficial"), follow=True)
    assert messages_of(response) == ["Monto de 06/2026 propuesto: lo aprueba otro oficial de pagos."]
    rate = Rate.objects.get(status=Rate.Status.PENDING)
    assert rate.amount == Decimal("80000.00") and rate.effective_month == JUNE
    assert rate.published_on == dt.date(2026, 6, 2) and rate.proposed_by == officer
    page = response.content.decode()
    assert "80.000,00" in page and "Usted lo propuso" in page
    assert reverse("payments:rate_approve", args=[rate.pk]) not in page

    refused = client.post(reverse("payments:rate_approve", args=[rate.pk]), follow=True)
    assert messages_of(refused) == ["Un monto lo aprueba otra persona: usted lo propuso."]
    rate.refresh_from_db()
    assert rate.status == Rate.Status.PENDING

    sign_in(client, second_officer)
    assert reverse("payments:rate_approve", args=[rate.pk]) in client.get(URL).content.decode()
    done = client.post(reverse("payments:rate_approve", args=[rate.pk]), follow=True)
    assert messages_of(done) == ["Monto aprobado y aplicado: 3 cuotas actualizadas, 0 diferencias programadas."]
    rate.refresh_from_db()
    assert rate.status == Rate.Status.APPROVED and rate.decided_by == second_officer
    assert enrollment.installments.get(month=JUNE).amount == Decimal("80000.00")


def test_a_proposal_is_rejected_with_a_reason(client, officer, second_officer):
    rate = rates.propose_rate(amount=Decimal("80000"), effective_month=JUNE, resolution="Res. 1", by=officer)
    sign_in(client, second_officer)
    url = reverse("payments:rate_reject", args=[rate.pk])
    assert messages_of(client.post(url, {"reason": ""}, follow=True)) == ["Indique por qué se rechaza."]
    done = client.post(url, {"reason": "El monto no coincide con la resolución"}, follow=True)
    assert messages_of(done) == ["Monto de 06/2026 rechazado."]
    rate.refresh_from_db()
    assert rate.status == Rate.Status.REJECTED
    assert "El monto no coincide con la resolución" in done.content.decode()


def test_form_errors_are_spanish_and_create_nothing(client, officer):
    sign_in(client, officer)
    response = client.post(URL, proposal(amount="ochenta mil", effective_month="junio", resolution=""))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Indique el monto en pesos, por ejemplo 80.000,00." in page
    assert "Indique el mes como AAAA-MM." in page
    taken = client.post(URL, proposal(effective_month="2023-10")).content.decode()
    assert "Ya hay una resolución aprobada para 10/2023" in taken
    assert not Rate.objects.filter(status=Rate.Status.PENDING).exists()


def test_other_roles_read_or_are_refused_and_change_nothing(client, officer):
    rate = rates.propose_rate(amount=Decimal("80000"), effective_month=JUNE, resolution="Res. 1", by=officer)
    auditor = make_user(Role.AUDITOR)
    sign_in(client, auditor)
    page = client.get(URL).content.decode()
    assert "Res. 1" in page and "Proponer un nuevo monto" not in page
    assert reverse("payments:rate_approve", args=[rate.pk]) not in page
    for user in (auditor, make_user(Role.MINISTRY_REVIEWER), make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory())):
        sign_in(client, user)
        assert client.post(URL, proposal(effective_month="2026-07")).status_code == 403
        assert client.post(reverse("payments:rate_approve", args=[rate.pk])).status_code == 403
        assert client.post(reverse("payments:rate_reject", args=[rate.pk]), {"reason": "x"}).status_code == 403
    sign_in(client, make_user(Role.MINISTRY_REVIEWER))
    assert client.get(URL).status_code == 403
    rate.refresh_from_db()
    assert rate.status == Rate.Status.PENDING and Rate.objects.count() == 9
    assert not Installment.objects.exists()


def test_an_unknown_rate_answers_404(client, second_officer):
    sign_in(client, second_officer)
    assert client.post(reverse("payments:rate_approve", args=[999999])).status_code == 404
    assert client.post(reverse("payments:rate_reject", args=[999999]), {"reason": "x"}).status_code == 404
