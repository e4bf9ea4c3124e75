"""The outbox page: reviewers and auditors read every message the programme wrote to a worker,
search and filter it (``provinces.listing``) and download exactly what they filtered; officers
and payments officers do not."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Message
from provinces.roles import Role
from tests.claims.conftest import approved, office, rejected, reviewer  # noqa: F401
from tests.exports import read_csv, read_xlsx
from tests.factories import OrganisationFactory, WorkerFactory, make_user, province
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db

URL = "/avisos/"


def _message(worker, kind, key, body="Aviso de prueba", status=Message.Status.PENDING):
    return Message.objects.create(
        event_key=key,
        worker=worker,
        kind=kind,
        channel=Message.Channel.SMS,
        recipient="+5493815551234",
        body=body,
        status=status,
        next_attempt_at=timezone.now(),
        sent_at=timezone.now() if status == Message.Status.SENT else None,
    )


@pytest.fixture
def two_messages(rejected, approved):  # noqa: F811
    first = _message(rejected.worker, Message.Kind.REJECTED, "t-1", body='=HYPERLINK("x") rechazada')
    second = _message(approved.worker, Message.Kind.APPROVED, "t-2")
    return first, second


def test_the_url_is_the_outbox():
    assert reverse("notifications:message_list") == URL


@pytest.mark.parametrize("role", [Role.MINISTRY_REVIEWER, Role.AUDITOR])
def test_reviewers_and_auditors_read_search_and_filter_the_outbox(client, two_messages, role):
    rejected_msg, approved_msg = two_messages
    sign_in(client, make_user(role))
    page = client.get(URL)
    assert page.status_code == 200
    assert list(page.context["page"]) == [approved_msg, rejected_msg]
    assert page.context["total_text"] == "2 avisos"

    cuil = rejected_msg.worker.cuil
    for typed in (f"{cuil[:2]}-{cuil[2:10]}-{cuil[10:]}", cuil, cuil[2:10]):
        page = client.get(URL, {"cuil": typed})
        assert list(page.context["page"]) == [rejected_msg] and "1 aviso<" in page.content.decode()
    page = client.get(URL, {"name": rejected_msg.worker.last_name})
    assert rejected_msg in list(page.context["page"])
    page = client.get(URL, {"kind": "approved"})
    assert list(page.context["page"]) == [approved_msg]


def test_the_outbox_filters_by_province_state_and_days(client, two_messages):
    rejected_msg, approved_msg = two_messages
    mendoza = WorkerFactory(province=province("Mendoza"))
    sent = _message(mendoza, Message.Kind.APPROVED, "t-3", status=Message.Status.SENT)
    Message.objects.filter(pk=rejected_msg.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    sign_in(client, make_user(Role.AUDITOR))
    page = client.get(URL, {"province": mendoza.province_id})
    assert list(page.context["page"]) == [sent] and page.context["total_text"] == "1 aviso"
    page = client.get(URL, {"status": "sent"})
    assert list(page.context["page"]) == [sent]
    today = timezone.localdate()
    page = client.get(URL, {"since": (today - dt.timedelta(days=1)).strftime("%d/%m/%Y")})
    assert set(page.context["page"]) == {approved_msg, sent} and page.context["total_text"] == "2 avisos"
    page = client.get(URL, {"until": (today - dt.timedelta(days=30)).strftime("%d/%m/%Y")})
    assert list(page.context["page"]) == [rejected_msg]


def test_the_export_is_what_was_filtered_and_formula_safe(client, two_messages):
    rejected_msg, approved_msg = two_messages
    sign_in(client, make_user(Role.AUDITOR))
    response = client.get(URL, {"kind": "rejected", "exportar": "csv"})
    assert 'filename="avisos.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert len(rows) == 2 and rows[0][:3] == ["Aviso", "Escrito", "CUIL"]
    assert rows[1][2] == rejected_msg.worker.cuil_display
    assert rows[1][-1].startswith("'=HYPERLINK")
    values = read_xlsx(client.get(URL, {"kind": "approved", "exportar": "xlsx"}))
    assert [row[0] for row in values[1:]] == [approved_msg.pk]
    assert len(read_csv(client.get(URL, {"exportar": "csv", "page": "2"}))) == 3  # every page


def test_a_bad_filter_says_so_and_lists_nothing(client, two_messages):
    sign_in(client, make_user(Role.AUDITOR))
    page = client.get(URL, {"cuil": "abc", "since": "2026-12-05", "until": "2026-01-01"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Escriba el CUIL" in body and "posterior" in body
    assert list(page.context["page"]) == [] and "Descargar lo filtrado" not in body
    refused = client.get(URL, {"cuil": "abc", "exportar": "csv"})
    assert not refused.has_header("Content-Disposition")
    # dates are typed as dd/mm/aaaa: the same inverted range, read the Argentine way
    typed = client.get(URL, {"since": "05/12/2026", "until": "01/01/2026"})
    assert "posterior" in typed.content.decode() and list(typed.context["page"]) == []
    assert 'value="05/12/2026"' in typed.content.decode() and 'type="date"' not in typed.content.decode()


@pytest.mark.parametrize("role", [Role.PROVINCIAL_OFFICER, Role.PAYMENTS_OFFICER])
def test_other_roles_are_refused(client, two_messages, role):
    user = make_user(role, OrganisationFactory() if role == Role.PROVINCIAL_OFFICER else None)
    sign_in(client, user)
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"exportar": "csv"}).status_code == 403


def test_the_navigation_offers_it_only_to_who_may_read_it(client, two_messages):
    sign_in(client, make_user(Role.AUDITOR))
    assert URL in [i["url"] for i in client.get(reverse("home")).context["nav_items"]]
    client.logout()
    sign_in(client, make_user(Role.PAYMENTS_OFFICER))
    assert URL not in [i["url"] for i in client.get(reverse("home")).context["nav_items"]]
