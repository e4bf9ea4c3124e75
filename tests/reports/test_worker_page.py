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
    # The change of the enrollment is in the trail, in words: the record by name (linked to its
    # history), the field's label and the old and new status as the page shows them.
    history = body[body.index('id="history"') :]
    assert f'href="/auditoria/enrollment/{enrollment.pk}/"' in history
    assert "<b>Estado</b>: Presentada → Dada de baja" in history
    assert "submitted" not in history and "withdrawn" not in history


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

    def extra(user, w):
        return worker_story.WorkerSection("extra", "Otra sección", "reports/worker/_identity.html", {"worker": w})

    worker_story.register_worker_section("extra", extra, order=45)
    try:
        keys = [s.key for s in worker_story.sections_for(world.users["auditor"], worker)]
        expected = [
            "identity",
            "cbu",
            "enrollments",
            "timeline",
            "flags",
            "installments",
            "claims",
            "extra",
            "messages",
            "referrals",
            "history",
        ]
        assert keys == expected
    finally:
        worker_story._SECTIONS.pop("extra")


@pytest.fixture
def whole_story(world, story):
    """The story's worker approved, paid for, flagged and referred."""
    from enrollment.screening.models import MatchFlag
    from payments.installments import schedule_installments
    from tests.factories import agrarian_history
    from training.models import Referral
    from training.services import refer_worker

    worker, enrollment = story
    Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.APPROVED)
    enrollment.refresh_from_db()
    agrarian_history(worker, before=enrollment.cycle.first_month, months=8)  # entitled to 4 months
    schedule_installments(enrollment=enrollment, by=world.users["reviewer"])
    MatchFlag.objects.create(
        enrollment=enrollment,
        kind=MatchFlag.Kind.REGISTRY,
        level=MatchFlag.Level.POSSIBLE,
        score="0.810",
        reasons="mismo apellido, fecha de nacimiento con día y mes invertidos",
        match_key="prueba",
    )
    refer_worker(by=world.users["tucuman"], enrollment=enrollment, line=Referral.Line.SELF_EMPLOYMENT)
    return worker


def test_the_whole_story_for_the_auditor(world, login, whole_story):
    from payments.models import Installment

    body = login(world.users["auditor"]).get(reverse("reports:worker", args=[whole_story.pk])).content.decode()
    flags = body[body.index('id="flags"') : body.index('id="installments"')]
    assert "día y mes invertidos" in flags
    installments = body[body.index('id="installments"') : body.index('id="referrals"')]
    scheduled = Installment.objects.filter(worker=whole_story).count()  # as the worker's entitlement gives
    assert scheduled >= 2 and installments.count("Programada") == scheduled
    assert "Programa de empleo independiente" in body[body.index('id="referrals"') :]


def test_reviewers_see_flags_and_payments_officers_see_installments(world, login, whole_story):
    url = reverse("reports:worker", args=[whole_story.pk])
    reviewer = login(world.users["reviewer"]).get(url).content.decode()
    assert 'id="flags"' in reviewer and 'id="installments"' not in reviewer
    payments = login(world.users["payments"]).get(url).content.decode()
    assert 'id="installments"' in payments and 'id="flags"' not in payments


def test_a_provincial_officer_sees_referrals_and_installments_but_not_flags(world, login, whole_story):
    from payments.models import Installment

    held = Installment.objects.filter(worker=whole_story).order_by("number").first()
    Installment.objects.filter(pk=held.pk).update(status="held", hold_reason="coincide con el padrón externo X")
    body = login(world.users["tucuman"]).get(reverse("reports:worker", args=[whole_story.pk])).content.decode()
    assert 'id="referrals"' in body and "Programa de empleo independiente" in body
    assert 'id="flags"' not in body and "día y mes invertidos" not in body
    installments = body[body.index('id="installments"') : body.index('id="referrals"')]
    scheduled = Installment.objects.filter(worker=whole_story).count()  # the worker's entitlement
    assert installments.count("Programada") == scheduled - 1 and "Retenida" in installments
    # The status, not why it is held: a hold may come from screening, which is the ministry's.
    assert "padrón externo" not in body
    auditor = login(world.users["auditor"]).get(reverse("reports:worker", args=[whole_story.pk])).content.decode()
    assert "coincide con el padrón externo X" in auditor


def test_worker_page_shows_the_cbu_history_and_the_pending_change(world, login, story):
    from enrollment import bank_accounts
    from tests.factories import make_cbu

    worker, _ = story
    new_cbu = make_cbu(727_272)
    bank_accounts.request_cbu_change(
        worker=worker, cbu=new_cbu, by=world.users["tucuman"], reason="Cuenta cerrada", evidence="Constancia"
    )
    body = login(world.users["tucuman"]).get(reverse("reports:worker", args=[worker.pk])).content.decode()
    section = body[body.index('id="cbu"') :]
    assert "cambio de CBU pendiente de aprobación" in section and "Cuenta cerrada" in section
    assert new_cbu not in section and new_cbu[-4:] in section


def test_the_installments_show_the_pickup_day_of_a_worker_without_cbu_within_scope_only(world, login):
    import datetime as dt

    from payments import batches
    from payments.common import batch_month_for
    from payments.installments import schedule_installments
    from payments.models import PaymentBatch

    enrollment = Enrollment.objects.filter(cycle=world.tuc_cane, status="approved").order_by("pk").first()
    worker = enrollment.worker
    worker.cbu = ""
    worker.save(update_fields=["cbu"])
    schedule_installments(enrollment=enrollment, by=world.users["reviewer"])
    first_month = enrollment.installments.order_by("month").first().month
    # the batch that pays the first month ("a mes vencido": the next month's)
    batch = PaymentBatch.objects.create(
        month=batch_month_for(first_month), built_by=world.users["payments"], pickup_opens_on=dt.date(2027, 1, 11)
    )
    batches.build_batch(batch_id=batch.pk)
    day = dt.date(2027, 1, 11 + int(worker.dni[-1]) // 2)  # a week without holidays
    text = f"Cobro por ventanilla en Banco Nación desde el {day:%d/%m/%Y} con su DNI"
    for role in ("payments", "auditor", "tucuman"):
        body = login(world.users[role]).get(reverse("reports:worker", args=[worker.pk])).content.decode()
        assert text in body, role
    assert login(world.users["mendoza"]).get(reverse("reports:worker", args=[worker.pk])).status_code == 404
