"""The outbox page: reviewers and auditors read every message the programme wrote to a worker,
filter it and download exactly what they filtered; officers and payments officers do not."""

import csv
import io

import pytest
from django.urls import reverse

from notifications.models import Message
from provinces.roles import Role
from tests.claims.conftest import approved, office, rejected, reviewer  # noqa: F401
from tests.factories import OrganisationFactory, make_user
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db


def _message(worker, kind, key, body="Aviso de prueba"):
    from django.utils import timezone

    return Message.objects.create(
        event_key=key,
        worker=worker,
        kind=kind,
        channel=Message.Channel.SMS,
        recipient="+5493815551234",
        body=body,
        next_attempt_at=timezone.now(),
    )


@pytest.fixture
def two_messages(rejected, approved):  # noqa: F811
    first = _message(rejected.worker, Message.Kind.REJECTED, "t-1", body='=HYPERLINK("x") rechazada')
    second = _message(approved.worker, Message.Kind.APPROVED, "t-2")
    return first, second


@pytest.mark.parametrize("role", [Role.MINISTRY_REVIEWER, Role.AUDITOR])
def test_reviewers_and_auditors_read_and_filter_the_outbox(client, two_messages, role):
    rejected_msg, approved_msg = two_messages
    sign_in(client, make_user(role))
    page = client.get(reverse("notifications:message_list"))
    assert page.status_code == 200
    assert list(page.context["page"]) == [approved_msg, rejected_msg]
    assert page.context["total"] == 2 and "2 avisos" in page.content.decode()

    cuil = rejected_msg.worker.cuil
    dashed = f"{cuil[:2]}-{cuil[2:10]}-{cuil[10:]}"
    page = client.get(reverse("notifications:message_list"), {"cuil": dashed})
    assert list(page.context["page"]) == [rejected_msg] and "1 aviso" in page.content.decode()
    page = client.get(reverse("notifications:message_list"), {"kind": "approved"})
    assert list(page.context["page"]) == [approved_msg]


def test_the_export_is_what_was_filtered_and_formula_safe(client, two_messages):
    rejected_msg, _approved = two_messages
    sign_in(client, make_user(Role.AUDITOR))
    response = client.get(reverse("notifications:message_export"), {"kind": "rejected"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2
    cuil = rejected_msg.worker.cuil
    assert rows[1][2] == f"{cuil[:2]}-{cuil[2:10]}-{cuil[10:]}"
    assert rows[1][-1].startswith("'=HYPERLINK")


def test_a_bad_filter_says_so_and_lists_nothing(client, two_messages):
    sign_in(client, make_user(Role.AUDITOR))
    page = client.get(
        reverse("notifications:message_list"), {"cuil": "abc", "since": "2026-12-05", "until": "2026-01-01"}
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert "Escriba el CUIL" in body and "posterior" in body
    assert "avisos</p>" not in body and not page.context["valid"]
    assert client.get(reverse("notifications:message_export"), {"cuil": "abc"}).status_code == 400
    # dates are typed as dd/mm/aaaa: the same inverted range, read the Argentine way
    typed = client.get(reverse("notifications:message_list"), {"since": "05/12/2026", "until": "01/01/2026"})
    assert "posterior" in typed.content.decode() and not typed.context["valid"]
    assert 'value="05/12/2026"' in typed.content.decode() and 'type="date"' not in typed.content.decode()


@pytest.mark.parametrize("role", [Role.PROVINCIAL_OFFICER, Role.PAYMENTS_OFFICER])
def test_other_roles_are_refused(client, two_messages, role):
    user = make_user(role, OrganisationFactory() if role == Role.PROVINCIAL_OFFICER else None)
    sign_in(client, user)
    assert client.get(reverse("notifications:message_list")).status_code == 403
    assert client.get(reverse("notifications:message_export")).status_code == 403


def test_the_navigation_offers_it_only_to_who_may_read_it(client, two_messages):
    url = reverse("notifications:message_list")
    sign_in(client, make_user(Role.AUDITOR))
    assert url in [i["url"] for i in client.get(reverse("home")).context["nav_items"]]
    client.logout()
    sign_in(client, make_user(Role.PAYMENTS_OFFICER))
    assert url not in [i["url"] for i in client.get(reverse("home")).context["nav_items"]]
