"""The worker page: identity, enrollments and audit history in one place, within scope."""

import pytest
from django.urls import reverse

from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from reports import worker_story

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(world):
    enrollment = Enrollment.objects.filter(cycle=world.tuc_cane, status="submitted").first()
    worker = enrollment.worker
    worker.phone = "381 555-1234"
    worker.save()
    return worker, enrollment


def test_tells_identity_enrollments_and_history(world, login, story):
    worker, enrollment = story
    reviewer = world.users["reviewer"]
    enrollment_services.withdraw_enrollment(enrollment=enrollment, by=reviewer, reason="Pidió la baja por escrito")
    body = login(reviewer).get(reverse("reports:worker", args=[worker.pk])).content.decode()
    assert worker.cuil_display in body and "381 555-1234" in body
    assert world.tuc_cane.name in body and "Dada de baja" in body and "Pidió la baja por escrito" in body
    assert 'id="history"' in body
    # The change of the enrollment is in the trail, with its old and new status.
    history = body[body.index('id="history"') :]
    assert f"#{enrollment.pk}" in history and "submitted → withdrawn" in history


def test_provincial_officer_sees_the_timeline_but_not_the_audit_trail(world, login, story):
    worker, enrollment = story
    enrollment_services.withdraw_enrollment(enrollment=enrollment, by=world.users["tucuman"], reason="Se mudó")
    body = login(world.users["tucuman"]).get(reverse("reports:worker", args=[worker.pk])).content.decode()
    assert worker.cuil_display in body
    assert 'id="enrollments"' in body and 'id="history"' not in body
    timeline = body[body.index('id="timeline"') :]
    assert "Presentada" in timeline and "Dada de baja" in timeline and "Se mudó" in timeline


@pytest.mark.parametrize("role", ["mendoza", "union"])
def test_other_scopes_get_404(world, login, story, role):
    worker, _ = story  # registered by the Tucumán office, enrolled in Tucumán
    assert login(world.users[role]).get(reverse("reports:worker", args=[worker.pk])).status_code == 404


def test_enrollments_in_another_province_are_not_shown_to_a_provincial_officer(world, login, story):
    worker, _ = story
    from tests.factories import EnrollmentFactory

    EnrollmentFactory(worker=worker, cycle=world.mza_grapes, organisation=world.mza_office)
    tucuman = login(world.users["tucuman"]).get(reverse("reports:worker", args=[worker.pk])).content.decode()
    assert world.mza_grapes.name not in tucuman
    # The Mendoza officer now sees the worker, but not the Tucumán enrollment.
    mendoza = login(world.users["mendoza"]).get(reverse("reports:worker", args=[worker.pk])).content.decode()
    assert world.mza_grapes.name in mendoza and world.tuc_cane.name not in mendoza


def test_another_app_can_add_a_section(world, story):
    worker, _ = story

    def installments(user, w):
        return worker_story.WorkerSection("installments", "Cuotas", "reports/worker/_identity.html", {"worker": w})

    worker_story.register_worker_section("installments", installments, order=40)
    try:
        keys = [s.key for s in worker_story.sections_for(world.users["auditor"], worker)]
        assert keys == ["identity", "enrollments", "timeline", "installments", "history"]
    finally:
        worker_story._SECTIONS.pop("installments")
