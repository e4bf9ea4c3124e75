"""The public status page: the worker's own status by CUIL and birth date, the same answer for
every kind of miss, rate limits, the access log, and a claim bound to the lookup."""

import datetime as dt

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from api.models import StatusLookup
from claims.models import Claim
from tests.factories import WorkerFactory

pytestmark = pytest.mark.django_db
URL = "/consulta/"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def look_up(client, worker, birth_date=None, **extra):
    day = birth_date or worker.birth_date
    return client.post(URL, {"cuil": worker.cuil_display, "birth_date": day.strftime("%d/%m/%Y")}, **extra)


def message_of(response) -> str:
    return response.context.get("message", "")


def test_page_is_public_and_csrf_protected(client):
    assert client.get(URL).status_code == 200
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(URL, {"cuil": "20-30000001-5", "birth_date": "01/01/1980"}).status_code == 403


def test_approved_worker_sees_state_months_amounts_and_next_payment(client, approved):
    response = look_up(client, approved.worker)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Su inscripción fue aprobada." in html
    assert html.count("$ 64.000,00") >= 4  # es-AR amounts
    assert "$ 256.000,00" in html  # the total of four months
    assert "05/2026" in html and "CBU terminado en" in html
    assert StatusLookup.objects.get().result == "found"


def test_rejected_worker_sees_why_and_can_claim(client, rejected):
    html = look_up(client, rejected.worker).content.decode()
    assert "Su inscripción fue rechazada." in html
    assert "No figura en el padrón de cosecha" in html
    assert 'value="rejection"' in html


def test_held_installment_shows_the_reason(client, held):
    html = look_up(client, held.worker).content.decode()
    assert "Retenida: Cobra una pensión no contributiva" in html


def test_unknown_cuil_wrong_birth_date_and_out_of_programme_answer_the_same(client, approved):
    worker = approved.worker
    never_enrolled = WorkerFactory()
    unknown = WorkerFactory.build(cuil="20111111112")
    answers = [
        look_up(client, worker, birth_date=worker.birth_date + dt.timedelta(days=1)),
        look_up(client, never_enrolled),
        look_up(client, unknown),
    ]
    assert {r.status_code for r in answers} == {404}
    assert len({message_of(r) for r in answers}) == 1
    assert "No encontramos una inscripción con esos datos" in message_of(answers[0])
    for response in answers:
        assert worker.last_name not in response.content.decode()
    assert list(StatusLookup.objects.values_list("result", flat=True)) == ["not_found"] * 3


def test_every_lookup_is_logged_without_user_and_with_the_address(client, approved):
    look_up(client, approved.worker, REMOTE_ADDR="10.1.2.3")
    client.post(URL, {"cuil": "20-1", "birth_date": "01/01/1980"}, REMOTE_ADDR="10.1.2.3")
    rows = list(StatusLookup.objects.order_by("pk").values("user", "channel", "cuil", "result", "ip"))
    assert rows == [
        {"user": None, "channel": "public", "cuil": approved.worker.cuil, "result": "found", "ip": "10.1.2.3"},
        {"user": None, "channel": "public", "cuil": "20-1", "result": "invalid", "ip": "10.1.2.3"},
    ]


@override_settings(SELF_SERVICE_RATES={"ip": "100/h", "cuil": "3/h"})
def test_per_cuil_limit_stops_guessing_birth_dates_from_many_addresses(client, approved):
    worker = approved.worker
    for n in range(3):
        wrong = worker.birth_date + dt.timedelta(days=n + 1)
        assert look_up(client, worker, birth_date=wrong, REMOTE_ADDR=f"10.0.0.{n}").status_code == 404
    refused = look_up(client, worker, REMOTE_ADDR="10.0.0.9")  # even the right date
    assert refused.status_code == 429
    assert worker.last_name not in refused.content.decode()
    assert StatusLookup.objects.filter(result="limited").count() == 1


@override_settings(SELF_SERVICE_RATES={"ip": "2/h", "cuil": "100/h"})
def test_per_address_limit(client, approved):
    assert look_up(client, approved.worker).status_code == 200
    assert look_up(client, WorkerFactory()).status_code == 404
    assert look_up(client, approved.worker).status_code == 429
    assert look_up(client, approved.worker, REMOTE_ADDR="10.9.9.9").status_code == 200


def test_worker_files_a_claim_from_her_status_page(client, rejected):
    page = look_up(client, rejected.worker)
    token = page.context["claim_form"]["token"].value()
    response = client.post(
        reverse("selfservice:claim"),
        {"token": token, "subject": "rejection", "description": "Trabajé en la zafra, tengo recibos"},
    )
    claim = Claim.objects.get()
    assert (claim.worker, claim.enrollment, claim.filed_by_kind) == (rejected.worker, rejected, "worker")
    html = response.content.decode()
    assert f"Recibimos su reclamo número {claim.pk}" in html
    assert claim.due_on.strftime("%d/%m/%Y") in html


def test_claim_with_a_forged_or_expired_token_is_refused(client, rejected):
    forged = signing.dumps(rejected.worker.pk, salt="otra-cosa")
    response = client.post(reverse("selfservice:claim"), {"token": forged, "subject": "rejection", "description": "x"})
    assert response.status_code == 400
    with override_settings(SELF_SERVICE_TOKEN_SECONDS=-1):
        token = signing.dumps(rejected.worker.pk, salt="selfservice.claim")
        response = client.post(
            reverse("selfservice:claim"), {"token": token, "subject": "rejection", "description": "x"}
        )
    assert response.status_code == 400
    assert not Claim.objects.exists()


def test_claim_subjects_offered_are_those_that_apply(client, approved):
    subjects = [
        value for value, _label in look_up(client, approved.worker).context["claim_form"].fields["subject"].choices
    ]
    assert "rejection" not in subjects and "data_correction" in subjects


def _pickup_batch(month=dt.date(2026, 6, 1)):
    """Build a batch whose DNI calendar opens on Monday 11/01/2027 (a week without holidays)."""
    from payments import batches
    from payments.models import PaymentBatch
    from provinces.roles import Role
    from tests.factories import make_user

    batch = PaymentBatch.objects.create(
        month=month, built_by=make_user(Role.PAYMENTS_OFFICER), pickup_opens_on=dt.date(2027, 1, 11)
    )
    return batches.build_batch(batch_id=batch.pk)


def test_a_worker_without_cbu_sees_her_pickup_day_and_branch(client, approved):
    worker = approved.worker
    worker.cbu = ""
    worker.save(update_fields=["cbu"])
    html = look_up(client, worker).content.decode()
    assert "cobra por ventanilla en Banco Nación con su DNI" in html  # before the batch: the rule
    cache.clear()
    _pickup_batch()
    html = look_up(client, worker).content.decode()
    day = dt.date(2027, 1, 11 + int(worker.dni[-1]) // 2)
    assert f"Cobro por ventanilla en Banco Nación desde el {day:%d/%m/%Y} con su DNI" in html
    assert "CBU terminado en" not in html


def test_a_worker_with_cbu_sees_no_branch(client, approved):
    _pickup_batch()
    html = look_up(client, approved.worker).content.decode()
    assert "ventanilla" not in html and "En camino al banco" in html


def test_a_bank_account_asked_for_from_the_public_page_changes_nothing_even_upheld(client, approved, reviewer):
    """The public page files claims only: a worker asking there for another CBU gets a claim the
    ministry reads; upholding it changes no bank data and opens no CBU change (those go through
    the office and a second person's decision)."""
    from claims.services import take_claim, uphold_claim
    from enrollment.models import CbuChangeRequest
    from tests.factories import make_cbu

    worker = approved.worker
    cbu_before = worker.cbu
    token = look_up(client, worker).context["claim_form"]["token"].value()
    new_cbu = make_cbu(99_001)
    response = client.post(
        reverse("selfservice:claim"),
        {"token": token, "subject": "data_correction", "description": f"Cambié de cuenta: mi CBU es {new_cbu}"},
    )
    assert response.status_code == 200
    # extra fields are ignored: the form has no bank data
    client.post(
        reverse("selfservice:claim"),
        {"token": token, "subject": "data_correction", "description": "Otra vez", "cbu": new_cbu},
    )
    claim = Claim.objects.get()
    uphold_claim(claim=take_claim(claim=claim, by=reviewer), by=reviewer, resolution="Que lo cargue la oficina")
    worker.refresh_from_db()
    assert worker.cbu == cbu_before
    assert not CbuChangeRequest.objects.filter(worker=worker).exists()


def test_a_miss_keeps_what_she_typed_so_she_can_check_it(client, approved):
    """The message asks her to check the CUIL and the birth date: both are still in the form."""
    worker = approved.worker
    response = client.post(URL, {"cuil": worker.cuil_display, "birth_date": "01/01/1901"})
    assert response.status_code == 404
    html = response.content.decode()
    assert "Revise el CUIL y la fecha de nacimiento" in html
    assert f'value="{worker.cuil_display}"' in html
    assert 'value="01/01/1901"' in html


def test_the_period_and_her_months_of_aid_are_in_words(client, approved):
    from enrollment.screening.entitlement_models import Entitlement
    from selfservice.status import period_words

    html = look_up(client, approved.worker).content.decode()
    months = Entitlement.objects.get(enrollment=approved).months
    assert "Período desde 05/2026, 4 meses." in html
    assert f"Le corresponden {months} meses de ayuda." in html
    cycle = approved.cycle
    cycle.months = 1
    assert period_words(approved, 3) == "Período desde 05/2026, 1 mes. Le corresponde 1 mes de ayuda."
    cycle.months = 4
    assert period_words(approved, 2) == "Período desde 05/2026, 4 meses. Le corresponden 2 meses de ayuda."
    assert period_words(approved, None) == "Período desde 05/2026, 4 meses."


def test_the_same_claim_again_says_it_is_already_open_not_received(client, rejected):
    """Filing the same open claim returns the one filed before: the page says so, and that what
    she wrote now was not added, rather than "received"."""
    token = look_up(client, rejected.worker).context["claim_form"]["token"].value()
    claim_url = reverse("selfservice:claim")
    client.post(claim_url, {"token": token, "subject": "rejection", "description": "Trabajé en la zafra"})
    again = client.post(claim_url, {"token": token, "subject": "rejection", "description": "Tengo recibos nuevos"})
    claim = Claim.objects.get()
    html = again.content.decode()
    assert f"Ya tiene un reclamo abierto por este motivo, el número {claim.pk}" in html
    assert "Lo que escribió ahora no se agregó" in html
    assert "Recibimos su reclamo" not in html
    assert claim.description == "Trabajé en la zafra"
