import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from pghistory.models import Events

from enrollment.models import Enrollment
from provinces.roles import Role
from tests.factories import (
    CourseFactory,
    CycleFactory,
    EmploymentOfficeFactory,
    EnrollmentFactory,
    OrganisationFactory,
    ProviderFactory,
    WorkerFactory,
    crop,
    make_user,
    province,
)
from training import selectors, services
from training.models import Referral

pytestmark = pytest.mark.django_db
R = Referral.Status
L = Referral.Line


@pytest.fixture
def officer():
    return make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))


@pytest.fixture
def reviewer():
    return make_user(Role.MINISTRY_REVIEWER)


def active_enrollment(**kwargs):
    return EnrollmentFactory(status=Enrollment.Status.ACTIVE, **kwargs)


def test_officer_refers_active_beneficiary_to_a_course(officer):
    course = CourseFactory(capacity=2)
    referral = services.refer_worker(by=officer, enrollment=active_enrollment(), line=L.VOCATIONAL, course=course)
    assert referral.status == R.REFERRED and referral.referred_by == officer
    assert referral.worker_id == referral.enrollment.worker_id


def test_approved_beneficiary_may_be_referred(officer):
    enrollment = EnrollmentFactory(status=Enrollment.Status.APPROVED)
    office = EmploymentOfficeFactory()
    referral = services.refer_worker(by=officer, enrollment=enrollment, line=L.JOB_PLACEMENT, office=office)
    assert referral.office == office and referral.course is None


@pytest.mark.parametrize(
    "status",
    [
        Enrollment.Status.SUBMITTED,
        Enrollment.Status.PENDING_REVIEW,
        Enrollment.Status.REJECTED,
        Enrollment.Status.SUSPENDED,
    ],
)
def test_only_approved_or_active_beneficiaries_are_referred(officer, status):
    with pytest.raises(ValidationError, match="aprobada o activa"):
        services.refer_worker(
            by=officer, enrollment=EnrollmentFactory(status=status), line=L.VOCATIONAL, course=CourseFactory()
        )
    assert not Referral.objects.exists()


def test_course_capacity_is_never_exceeded(officer):
    course = CourseFactory(capacity=1)
    services.refer_worker(by=officer, enrollment=active_enrollment(), line=L.VOCATIONAL, course=course)
    with pytest.raises(ValidationError, match="vacantes"):
        services.refer_worker(by=officer, enrollment=active_enrollment(), line=L.VOCATIONAL, course=course)


def test_a_declined_referral_frees_its_place(officer):
    course = CourseFactory(capacity=1)
    first = services.refer_worker(by=officer, enrollment=active_enrollment(), line=L.VOCATIONAL, course=course)
    services.move_referral(by=officer, referral=first, to=R.DECLINED)
    assert services.refer_worker(by=officer, enrollment=active_enrollment(), line=L.VOCATIONAL, course=course).pk


def test_worker_is_not_referred_twice_to_the_same_course(officer):
    course = CourseFactory()
    enrollment = active_enrollment()
    services.refer_worker(by=officer, enrollment=enrollment, line=L.VOCATIONAL, course=course)
    with pytest.raises(ValidationError, match="ya fue derivado"):
        services.refer_worker(by=officer, enrollment=enrollment, line=L.VOCATIONAL, course=course)
    assert Referral.objects.filter(course=course).count() == 1


def test_database_refuses_a_second_referral_to_the_same_course(officer):
    course = CourseFactory()
    enrollment = active_enrollment()
    first = services.refer_worker(by=officer, enrollment=enrollment, line=L.VOCATIONAL, course=course)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            enrollment=enrollment,
            worker=first.worker,
            line=L.VOCATIONAL,
            course=course,
            referred_on=dt.date(2026, 6, 1),
            referred_by=officer,
        )


def test_database_refuses_mobility_without_destination(officer):
    enrollment = active_enrollment()
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            enrollment=enrollment,
            worker=enrollment.worker,
            line=L.MOBILITY,
            referred_on=dt.date(2026, 6, 1),
            referred_by=officer,
        )


def test_mobility_referral_records_destination_travel_and_support(officer):
    referral = services.refer_worker(
        by=officer,
        enrollment=active_enrollment(),
        line=L.MOBILITY,
        destination_province=province("Mendoza"),
        destination_crop=crop("cana"),
        travel_from=dt.date(2026, 7, 1),
        travel_to=dt.date(2026, 8, 15),
        support_amount=Decimal("45000.00"),
        support_detail="Pasajes y viáticos",
    )
    referral.refresh_from_db()
    assert referral.destination_province.name == "Mendoza"
    assert referral.support_amount == Decimal("45000.00")


def test_mobility_needs_ordered_travel_dates(officer):
    with pytest.raises(ValidationError, match="regreso"):
        services.refer_worker(
            by=officer,
            enrollment=active_enrollment(),
            line=L.MOBILITY,
            destination_province=province("Mendoza"),
            destination_crop=crop("cana"),
            travel_from=dt.date(2026, 8, 1),
            travel_to=dt.date(2026, 7, 1),
        )


def test_course_of_other_kind_is_refused(officer):
    course = CourseFactory(kind="work_training")
    with pytest.raises(ValidationError, match="no es de la línea"):
        services.refer_worker(by=officer, enrollment=active_enrollment(), line=L.VOCATIONAL, course=course)


def test_officer_cannot_refer_beneficiaries_of_another_province(officer):
    mendoza = CycleFactory(agreement__province=province("Mendoza"))
    enrollment = active_enrollment(cycle=mendoza, worker=WorkerFactory(province=province("Mendoza")))
    with pytest.raises(PermissionDenied):
        services.refer_worker(by=officer, enrollment=enrollment, line=L.SELF_EMPLOYMENT)


def test_officer_cannot_use_a_course_of_another_province(officer):
    course = CourseFactory(provider=ProviderFactory(province=province("Salta")))
    with pytest.raises(PermissionDenied):
        services.refer_worker(by=officer, enrollment=active_enrollment(), line=L.VOCATIONAL, course=course)


@pytest.mark.parametrize("role", [Role.UNION_OFFICER, Role.PAYMENTS_OFFICER, Role.AUDITOR])
def test_other_roles_cannot_refer(role):
    org = OrganisationFactory(kind="union") if role == Role.UNION_OFFICER else None
    user = make_user(role, org)
    with pytest.raises(PermissionDenied):
        services.refer_worker(by=user, enrollment=active_enrollment(), line=L.SELF_EMPLOYMENT)


def test_ministry_reviewer_refers_in_any_province(reviewer):
    mendoza = CycleFactory(agreement__province=province("Mendoza"))
    enrollment = active_enrollment(cycle=mendoza, worker=WorkerFactory(province=province("Mendoza")))
    assert services.refer_worker(by=reviewer, enrollment=enrollment, line=L.SELF_EMPLOYMENT).pk


def test_referral_walks_its_states_with_dates_and_outcome(officer):
    referral = services.refer_worker(
        by=officer, enrollment=active_enrollment(), line=L.VOCATIONAL, course=CourseFactory()
    )
    services.move_referral(by=officer, referral=referral, to=R.ACCEPTED, on=dt.date(2026, 5, 20))
    services.move_referral(by=officer, referral=referral, to=R.ATTENDING, on=dt.date(2026, 6, 1))
    done = services.move_referral(
        by=officer,
        referral=referral,
        to=R.COMPLETED,
        on=dt.date(2026, 7, 31),
        certificate_number="FP-001",
        job_placement=True,
        employer="Ingenio La Florida",
    )
    assert (done.accepted_on, done.started_on, done.ended_on) == (
        dt.date(2026, 5, 20),
        dt.date(2026, 6, 1),
        dt.date(2026, 7, 31),
    )
    assert done.certificate_issued and done.job_placement and done.employer == "Ingenio La Florida"
    event = Events.objects.tracks(done).filter(pgh_data__status=R.COMPLETED).get()
    assert event.pgh_context["user"] == officer.pk


@pytest.mark.parametrize(
    ("start", "target"),
    [(R.REFERRED, R.COMPLETED), (R.REFERRED, R.DROPPED), (R.COMPLETED, R.ATTENDING), (R.DECLINED, R.ACCEPTED)],
)
def test_referral_state_machine_refuses_illegal_moves(officer, start, target):
    referral = services.refer_worker(by=officer, enrollment=active_enrollment(), line=L.SELF_EMPLOYMENT)
    Referral.objects.filter(pk=referral.pk).update(status=start)
    with pytest.raises(ValidationError, match="no puede pasar"):
        services.move_referral(by=officer, referral=referral, to=target)
    referral.refresh_from_db()
    assert referral.status == start


def test_capacity_cannot_be_set_below_places_taken(officer):
    course = CourseFactory(capacity=3)
    for _ in range(2):
        services.refer_worker(by=officer, enrollment=active_enrollment(), line=L.VOCATIONAL, course=course)
    fields = {
        f: getattr(course, f)
        for f in ("provider", "kind", "topic", "place", "province", "start_date", "end_date", "modality", "sessions")
    }
    with pytest.raises(ValidationError, match="menor que las vacantes"):
        services.save_course(by=officer, course=course, capacity=1, **fields)
    assert services.save_course(by=officer, course=course, capacity=2, **fields).capacity == 2


def test_officer_cannot_create_a_course_in_another_province(officer):
    fields = dict(
        provider=ProviderFactory(province=None),
        kind="vocational",
        topic="Poda",
        place="INTA",
        start_date=dt.date(2026, 6, 1),
        end_date=dt.date(2026, 6, 30),
        capacity=10,
        modality="in_person",
    )
    with pytest.raises(PermissionDenied):
        services.save_course(by=officer, province=province("Salta"), **fields)
    assert services.save_course(by=officer, province=province("Tucumán"), **fields).pk


@pytest.mark.django_db(transaction=True)
def test_officers_racing_for_the_last_place_only_one_gets_it():
    officers = [make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán"))) for _ in range(3)]
    course = CourseFactory(capacity=1)
    enrollments = [active_enrollment() for _ in range(3)]
    barrier = threading.Barrier(3)
    outcomes = []

    def attempt(officer, enrollment):
        try:
            barrier.wait()
            services.refer_worker(by=officer, enrollment=enrollment, line=L.VOCATIONAL, course=course)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=args) for args in zip(officers, enrollments, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused", "refused"]
    assert Referral.objects.filter(course=course).count() == 1


# --- attendance CSV ---------------------------------------------------------------------------


def _roster(officer, n=2, **course_kwargs):
    course = CourseFactory(**course_kwargs)
    referrals = [
        services.refer_worker(by=officer, enrollment=active_enrollment(), line=L.VOCATIONAL, course=course)
        for _ in range(n)
    ]
    return course, referrals


def test_attendance_csv_updates_the_roster(officer):
    course, (a, b) = _roster(officer)
    csv_text = (
        "cuil;asistencias;estado;certificado\n"
        f"{a.worker.cuil_display};10;finalizada;CERT-9\n"
        f"{b.worker.cuil};3;cursando;\n"
    )
    result = services.import_attendance(by=officer, course=course, data=csv_text.encode(), on=dt.date(2026, 7, 31))
    assert result.ok and result.updated == 2
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.sessions_attended, a.certificate_number, a.ended_on) == (
        R.COMPLETED,
        10,
        "CERT-9",
        dt.date(2026, 7, 31),
    )
    assert (b.status, b.sessions_attended) == (R.ATTENDING, 3)


def test_attendance_csv_with_errors_saves_nothing_and_reports_each_row(officer):
    course, (a, b) = _roster(officer)
    stranger = WorkerFactory()
    csv_text = (
        "cuil,asistencias,estado\n"
        f"{a.worker.cuil},4,cursando\n"
        "20-11111111-0,2,cursando\n"
        f"{stranger.cuil},2,cursando\n"
        f"{b.worker.cuil},99,cursando\n"
        f"{b.worker.cuil},1,volando\n"
    )
    result = services.import_attendance(by=officer, course=course, data=csv_text)
    lines = [line for line, _ in result.errors]
    assert lines == [3, 4, 5, 6]
    assert "CUIL inválido" in result.errors[0][1]
    assert "no fue derivado" in result.errors[1][1]
    assert "entre 0 y 10" in result.errors[2][1]
    a.refresh_from_db()
    assert a.status == R.REFERRED and a.sessions_attended == 0


def test_attendance_csv_without_cuil_column_is_refused(officer):
    course, _ = _roster(officer, n=1)
    result = services.import_attendance(by=officer, course=course, data="nombre,asistencias\nAna,3\n")
    assert not result.ok and "cuil" in result.errors[0][1]


def test_attendance_of_another_provinces_course_is_refused(officer):
    course = CourseFactory(provider=ProviderFactory(province=province("Salta")))
    with pytest.raises(PermissionDenied):
        services.import_attendance(by=officer, course=course, data="cuil\n")


# --- scoping and report -------------------------------------------------------------------------


def test_officer_sees_only_their_provinces_courses_and_referrals(officer, reviewer):
    mine = CourseFactory()
    salta_course = CourseFactory(provider=ProviderFactory(province=province("Salta")))
    salta_cycle = CycleFactory(agreement__province=province("Salta"))
    services.refer_worker(
        by=reviewer,
        enrollment=active_enrollment(cycle=salta_cycle, worker=WorkerFactory(province=province("Salta"))),
        line=L.VOCATIONAL,
        course=salta_course,
    )
    assert list(selectors.courses_for(officer)) == [mine]
    assert not selectors.referrals_for(officer).exists()
    assert selectors.referrals_for(reviewer).count() == 1
    union = make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union"))
    assert not selectors.courses_for(union).exists()


def test_report_counts_referred_attended_completed_placed_per_province_and_cycle(officer):
    cycle = CycleFactory()
    course = CourseFactory()
    enrollments = [active_enrollment(cycle=cycle) for _ in range(3)]
    refs = [services.refer_worker(by=officer, enrollment=e, line=L.VOCATIONAL, course=course) for e in enrollments]
    services.refer_worker(by=officer, enrollment=enrollments[0], line=L.SELF_EMPLOYMENT)
    for r in refs[:2]:
        services.move_referral(by=officer, referral=r, to=R.ACCEPTED)
        services.move_referral(by=officer, referral=r, to=R.ATTENDING)
    services.move_referral(by=officer, referral=refs[0], to=R.COMPLETED, job_placement=True)
    [row] = selectors.referral_counts(user=officer, cycle_id=cycle.pk)
    assert row["enrollment__cycle__agreement__province__name"] == "Tucumán"
    assert (row["referred"], row["attended"], row["completed"], row["placed"]) == (3, 2, 1, 1)
