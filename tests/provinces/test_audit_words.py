"""The audit trail in human words: field and model labels, choice labels, the user's full name
and local time; the audit page filters by who, what and when, pages past 200 rows and exports
what it filters."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pghistory
import pytest
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Enrollment
from provinces.models import Agreement
from provinces.roles import Role
from tests.factories import AgreementFactory, EnrollmentFactory, make_user
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(client):
    reviewer = make_user(Role.MINISTRY_REVIEWER, first_name="Rosa", last_name="Quiroga")
    enrollment = EnrollmentFactory(status=Enrollment.Status.PENDING_REVIEW)
    AgreementFactory(title="Convenio sin autor")
    sign_in(client, make_user(Role.AUDITOR))
    # last: a test runs in one transaction, and the audit context lasts until it ends
    with pghistory.context(user=reviewer.pk, reason="cumple los requisitos"):
        Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.APPROVED)
    return {"client": client, "reviewer": reviewer, "enrollment": enrollment}


def count(body: str) -> int:
    return int(re.search(r'data-count="(\d+)"', body).group(1))


def test_a_records_history_reads_in_words(decided):
    enrollment = decided["enrollment"]
    body = decided["client"].get(reverse("provinces:record_history", args=["enrollment", enrollment.pk])).content
    body = body.decode()
    assert "Estado</b>: Pendiente de revisión → Aprobada" in body
    assert "pending_review" not in body
    assert "Rosa Quiroga · cumple los requisitos" in body
    local = timezone.localtime(timezone.now()).strftime("%d/%m/%Y")
    assert re.search(rf"<td>{re.escape(local)} \d\d:\d\d</td>", body)


def test_the_audit_page_names_models_and_filters_by_who_what_and_when(decided):
    client = decided["client"]
    url = reverse("provinces:audit_log")
    everything = client.get(url).content.decode()
    assert "Inscripción: " in everything and "provinces.Organisation #" not in everything
    by_her = client.get(url, {"who": "quiroga"}).content.decode()
    print(re.findall(r"<tr>.*?</tr>", by_her, re.S))
    assert count(by_her) == 1 and "Rosa Quiroga" in by_her and "Convenio sin autor" not in by_her
    assert count(client.get(url, {"who": "nadie-con-este-nombre"}).content.decode()) == 0
    agreements = client.get(url, {"what": "agreement"}).content.decode()
    assert count(agreements) == Agreement.objects.count() >= 1 and "Inscripción: " not in agreements
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert count(client.get(url, {"since": tomorrow}).content.decode()) == 0
    assert count(client.get(url, {"until": tomorrow, "who": "quiroga"}).content.decode()) == 1
    # typed as dd/mm/aaaa, whatever the browser's language, and shown back the same way
    typed = (timezone.localdate() + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    by_day = client.get(url, {"since": typed}).content.decode()
    assert count(by_day) == 0 and f'value="{typed}"' in by_day and 'type="date"' not in by_day
    assert count(client.get(url, {"until": typed, "who": "quiroga"}).content.decode()) == 1
    refused = client.get(url, {"what": "nothing"}).content.decode()
    assert count(refused) == 0 and 'role="alert"' in refused


def test_the_audit_page_pages_past_two_hundred_changes_and_exports_them(decided):
    client = decided["client"]
    AgreementFactory.create_batch(228)  # with the enrollment's and the fixture's: 230
    url = reverse("provinces:audit_log")
    first = client.get(url, {"what": "agreement"}).content.decode()
    assert count(first) == 230 and "Página 1 de 5" in first
    assert "Página 5 de 5" in client.get(url, {"what": "agreement", "page": 5}).content.decode()
    response = client.get(url, {"what": "agreement", "exportar": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Cuándo", "Registro", "Qué", "Quién", "Motivo", "Desde", "Cambios"]
    assert len(rows) == 231 and all(row[1].startswith("Convenio") for row in rows[1:])
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", rows[1][0])


def test_officers_cannot_read_the_audit_page(client):
    sign_in(client, make_user(Role.PAYMENTS_OFFICER))
    assert client.get(reverse("provinces:audit_log")).status_code == 403


def test_labels_keep_their_acronyms(decided):
    # "Presupuesto (ARS)" as the field is named, not "Presupuesto (ars)"
    body = decided["client"].get(reverse("provinces:audit_log"), {"what": "agreement"}).content.decode()
    assert "<b>Presupuesto (ARS)</b>" in body and "(ars)" not in body


def _event(model: str, diff: dict):
    from types import SimpleNamespace

    return SimpleNamespace(
        pgh_obj_model=model,
        pgh_obj_id=None,
        pgh_context={},
        pgh_diff=diff,
        pgh_label="update",
        pgh_data=None,
        pgh_created_at=timezone.now(),
    )


def test_cuils_records_date_lists_and_amounts_read_as_everywhere_else():
    """A CUIL with its dashes under its own label, a matched registry row as "key: value" pairs
    with its dates dd/mm/aaaa, a score with its three decimals, a list of owed months as dates,
    a rate as an es-AR amount."""
    from payments.models import Rate
    from provinces.audit_display import describe

    worker, flag, suspension = describe(
        [
            _event("enrollment.Worker", {"cuil": ["20222758220", "27305504829"]}),
            _event(
                "screening.MatchFlag",
                {
                    "matched": [None, {"cuil": "20258615086", "fecha_nacimiento": "1970-07-09", "fila": 46}],
                    "score": ["1.000", "0.971"],
                },
            ),
            _event("enrollment.Suspension", {"owed_months": [[], ["2026-11-01", "2026-12-01"]]}),
        ]
    )
    assert (worker.changes[0].label, worker.changes[0].old, worker.changes[0].new) == (
        "CUIL",
        "20-22275822-0",
        "27-30550482-9",
    )
    assert flag.changes[0].new == "cuil: 20-25861508-6; fecha nacimiento: 09/07/1970; fila: 46"
    assert (
        describe([_event("screening.MatchFlag", {"matched": [None, {"desde": "1990-02-31"}]})])[0].changes[0].new
        == "desde: 1990-02-31"
    )
    assert (flag.changes[1].old, flag.changes[1].new) == ("1,000", "0,971")  # as the flag pages show it
    assert suspension.changes[0].new == "01/11/2026, 01/12/2026"
    rate = Rate(amount="64000.00", effective_month=dt.date(2023, 10, 1), resolution="Res. SE 2023")
    assert str(rate) == "ARS 64.000,00 desde 10/2023 (Res. SE 2023)"
