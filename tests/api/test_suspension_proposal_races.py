"""Deciding one suspension proposal from several API clients at the same moment (each with its
own PostgreSQL connection): exactly one decision is taken, the others are refused in words, and
the enrollment is suspended at most once."""

import threading

import pytest
from django.db import connection

from enrollment.models import Enrollment, Suspension, SuspensionProposal
from provinces.roles import Role
from tests.api.conftest import client_for
from tests.api.test_suspension_proposals import LIST, office, proposal, reviewer  # noqa: F401
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)
P = SuspensionProposal.Status


def at_once(calls):
    """Run each ``(client, url, note)`` POST at the same moment; return the responses."""
    barrier = threading.Barrier(len(calls))
    responses = []
    lock = threading.Lock()

    def run(client, url, note):
        try:
            barrier.wait()
            response = client.post(url, {"note": note}, format="json")
        finally:
            connection.close()
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=run, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_four_reviewers_accepting_at_once_suspend_once(proposal, reviewer):  # noqa: F811
    url = f"{LIST}{proposal.pk}/accept/"
    clients = [client_for(reviewer)] + [client_for(make_user(Role.MINISTRY_REVIEWER)) for _ in range(3)]
    responses = at_once([(client, url, f"Confirmado {n}") for n, client in enumerate(clients)])
    assert sorted(r.status_code for r in responses) == [200, 400, 400, 400]
    for refused in (r for r in responses if r.status_code == 400):
        assert "ya fue decidida" in str(refused.json())
    assert Suspension.objects.filter(enrollment_id=proposal.enrollment_id).count() == 1
    proposal.refresh_from_db()
    assert proposal.status == P.ACCEPTED and proposal.suspension is not None
    assert Enrollment.objects.get(pk=proposal.enrollment_id).status == Enrollment.Status.SUSPENDED


def test_accepting_and_dismissing_at_once_one_decision_stands(proposal, reviewer):  # noqa: F811
    other = make_user(Role.MINISTRY_REVIEWER)
    responses = at_once(
        [
            (client_for(reviewer), f"{LIST}{proposal.pk}/accept/", "Confirmado con el padrón"),
            (client_for(other), f"{LIST}{proposal.pk}/dismiss/", "Error del padrón"),
        ]
    )
    assert sorted(r.status_code for r in responses) == [200, 400]
    (won,) = [r.json() for r in responses if r.status_code == 200]
    proposal.refresh_from_db()
    assert proposal.status == won["status"]
    suspended = Enrollment.objects.get(pk=proposal.enrollment_id).status == Enrollment.Status.SUSPENDED
    assert suspended == (proposal.status == P.ACCEPTED)
    assert Suspension.objects.filter(enrollment_id=proposal.enrollment_id).count() == (1 if suspended else 0)


def test_two_proposals_of_one_enrollment_accepted_at_once_suspend_it_once(proposal, reviewer):  # noqa: F811
    other = SuspensionProposal.objects.create(
        enrollment_id=proposal.enrollment_id, cause="pay_above_aid", month=proposal.month, detail="Sueldo formal"
    )
    responses = at_once(
        [
            (client_for(reviewer), f"{LIST}{proposal.pk}/accept/", "Confirmado con el padrón"),
            (client_for(make_user(Role.MINISTRY_REVIEWER)), f"{LIST}{other.pk}/accept/", "Confirmado con SIPA"),
        ]
    )
    assert sorted(r.status_code for r in responses) == [200, 400]
    (refused,) = [r.json() for r in responses if r.status_code == 400]
    assert "ya fue decidida" in str(refused) or "Solo se suspenden" in str(refused)
    assert Suspension.objects.filter(enrollment_id=proposal.enrollment_id).count() == 1
    statuses = sorted(
        SuspensionProposal.objects.filter(enrollment_id=proposal.enrollment_id).values_list("status", flat=True)
    )
    assert statuses == [P.ACCEPTED, P.DISMISSED]
