"""Survey lists never take a worker over and never merge two people (issue 14, findings 1, 2, 6)."""

import datetime as dt
import io

import pytest

from enrollment import imports
from enrollment.identity_reviews import decide_identity_review
from enrollment.models import Enrollment, IdentityReview, ImportJob, ImportRowError, Worker
from provinces.roles import Role
from tests.enrollment.survey_files import csv_bytes, row, upload
from tests.factories import (
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    WorkerFactory,
    make_cbu,
    make_user,
    province,
)

pytestmark = pytest.mark.django_db
J = ImportJob.Status
K = IdentityReview.Kind


@pytest.fixture
def officer():
    return make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))


@pytest.fixture
def cycle():
    return CycleFactory(first_month=dt.date(2026, 5, 1))


@pytest.fixture
def mendocina():
    """A worker registered and enrolled in Mendoza: outside a Tucumán officer's scope."""
    office = OrganisationFactory(province=province("Mendoza"))
    worker = WorkerFactory(
        cuil=row(1)["cuil"],
        province=province("Mendoza"),
        registered_by=office,
        last_name="Videla",
        first_name="Elena",
        birth_date=dt.date(1980, 5, 6),
        phone="261 400",
        locality="Maipú",
        cbu=make_cbu(501),
        renatre="R-MZA-1",
    )
    EnrollmentFactory(worker=worker, organisation=office, cycle=CycleFactory(agreement__province=province("Mendoza")))
    return worker


def analyse(officer, cycle, rows):
    job = imports.create_import_job(by=officer, upload=upload(csv_bytes(rows)), cycle=cycle)
    return imports.analyse_import(job_id=job.pk)


def apply(officer, job):
    imports.confirm_import(job=job, by=officer)
    return imports.apply_import(job_id=job.pk)


def stored(worker):
    worker.refresh_from_db()
    return {f.name: getattr(worker, f.name) for f in Worker._meta.concrete_fields}


def errors_csv(job) -> str:
    out = io.StringIO()
    imports.write_errors_csv(job=job, out=out)
    return out.getvalue()


def test_list_row_with_another_provinces_cuil_changes_nothing(officer, cycle, mendocina):
    before = stored(mendocina)
    job = analyse(officer, cycle, [row(1, apellido="Impostor", nombre="Juan"), row(2)])
    assert (job.known_workers, job.new_workers, job.review_rows, job.enrollments_to_create) == (0, 1, 1, 1)
    job = apply(officer, job)
    assert stored(mendocina) == before
    assert (job.created_workers, job.updated_workers, job.created_enrollments, job.review_rows) == (1, 0, 1, 1)
    assert not Enrollment.objects.filter(cycle=cycle, worker=mendocina).exists()
    review = IdentityReview.objects.get()
    assert (review.kind, review.import_job, review.row_number, review.in_sender_scope) == (
        K.DATA_CONFLICT,
        job,
        2,
        False,
    )
    assert review.submitted["last_name"] == "Impostor" and review.submitted["province"] == province("Tucumán").pk


def test_out_of_scope_cuil_is_not_counted_as_registered_and_reveals_nothing(officer, cycle, mendocina):
    job = analyse(officer, cycle, [row(1, apellido="Videla", nombre="Elena", fecha_nacimiento="06/05/1980")])
    assert (job.known_workers, job.already_enrolled, job.review_rows) == (0, 0, 1)
    text = errors_csv(job)
    assert "inscripto/a por otra organización — requiere revisión" in text
    for value in ("Videla", "Elena", "R-MZA-1", make_cbu(501), "Maipú", "261 400"):
        assert value not in text
    job = apply(officer, job)
    review = IdentityReview.objects.get()
    assert review.kind == K.OTHER_ORGANISATION and str(review.sender_reason) == str(K.OTHER_ORGANISATION.label)


def test_union_list_does_not_touch_another_organisations_worker(cycle):
    union1 = OrganisationFactory(kind="union", province=province("Tucumán"))
    union2 = OrganisationFactory(kind="union", province=province("Tucumán"))
    worker = WorkerFactory(
        cuil=row(1)["cuil"],
        registered_by=union1,
        last_name="Núñez",
        first_name="José 1",
        birth_date=dt.date(1985, 3, 15),
    )
    before = stored(worker)
    officer = make_user(Role.UNION_OFFICER, union2)
    job = apply(officer, analyse(officer, cycle, [row(1, telefono="0", localidad="Otra")]))
    assert stored(worker) == before and job.review_rows == 1 and job.created_enrollments == 0
    assert IdentityReview.objects.get().kind == K.OTHER_ORGANISATION


def test_two_people_with_one_cuil_in_a_list_are_both_held(officer, cycle):
    rows = [row(1), row(2), row(1, nombre="Otra Persona", fecha_nacimiento="01/01/1990"), row(3)]
    job = analyse(officer, cycle, rows)
    assert (job.valid_rows, job.error_rows, job.review_rows, job.new_workers) == (2, 0, 2, 2)
    held = list(ImportRowError.objects.filter(job=job).values_list("row_number", "message"))
    assert [number for number, _ in held] == [2, 4]
    assert all("datos en conflicto" in message for _, message in held)
    text = errors_csv(job)
    assert "requiere revisión" in text
    job = apply(officer, job)
    assert not Worker.objects.filter(cuil=row(1)["cuil"]).exists()
    assert job.created_workers == 2 and job.review_rows == 2
    items = IdentityReview.objects.order_by("row_number")
    assert [(i.kind, i.row_number) for i in items] == [(K.DUPLICATE_IN_LIST, 2), (K.DUPLICATE_IN_LIST, 4)]
    assert items[1].submitted["first_name"] == "Otra Persona"


def test_identical_repeated_rows_stay_one(officer, cycle):
    job = analyse(officer, cycle, [row(1), row(1)])
    assert (job.valid_rows, job.error_rows, job.review_rows) == (1, 1, 0)


def test_a_held_row_of_a_list_is_registered_by_a_reviewers_correction(officer, cycle):
    job = apply(officer, analyse(officer, cycle, [row(1), row(1, nombre="Otra Persona")]))
    first, second = IdentityReview.objects.order_by("row_number")
    reviewer = make_user(Role.MINISTRY_REVIEWER)
    decide_identity_review(review=first, by=reviewer, decision=IdentityReview.Decision.OTHER_PERSON, reason="CUIL mal")
    decide_identity_review(review=second, by=reviewer, decision=IdentityReview.Decision.CORRECT, reason="es ella")
    worker = Worker.objects.get(cuil=row(1)["cuil"])
    assert worker.first_name == "Otra Persona" and worker.registered_by == job.organisation
    assert Enrollment.objects.get(worker=worker).cycle == cycle


def test_in_scope_worker_disagreeing_with_the_list_becomes_a_conflict(officer, cycle):
    worker = WorkerFactory(cuil=row(1)["cuil"], last_name="Núñez", first_name="José 1", birth_date=dt.date(1984, 1, 1))
    before = stored(worker)
    job = analyse(officer, cycle, [row(1, telefono="0800")])
    assert (job.known_workers, job.review_rows) == (0, 1)
    assert "datos en conflicto — requiere revisión" in errors_csv(job)
    job = apply(officer, job)
    assert stored(worker) == before, "nothing replaced"
    review = IdentityReview.objects.get()
    assert (review.kind, review.in_sender_scope, review.worker) == (K.DATA_CONFLICT, True, worker)
    assert review.submitted["birth_date"] == "1985-03-15", "nothing dropped"


@pytest.mark.django_db(transaction=True)
def test_a_long_list_applied_in_chunks_holds_the_same_rows(settings):
    settings.SURVEY_LIST_PARALLEL_MIN_ROWS = 4
    settings.SURVEY_LIST_APPLY_SESSIONS = 2
    settings.SURVEY_LIST_APPLY_CHUNK_ROWS = 2
    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    elsewhere = WorkerFactory(cuil=row(3)["cuil"], province=province("Mendoza"), last_name="Videla")
    before = stored(elsewhere)
    rows = [row(n) for n in range(1, 8)] + [row(5, nombre="Otra Persona")]
    job = apply(officer, analyse(officer, cycle, rows))
    assert job.status == J.DONE and job.applied_parts.count() > 1
    assert (job.created_workers, job.created_enrollments, job.review_rows) == (5, 5, 3)
    assert stored(elsewhere) == before
    assert sorted(IdentityReview.objects.values_list("row_number", "kind")) == [
        (4, K.DATA_CONFLICT),
        (6, K.DUPLICATE_IN_LIST),
        (9, K.DUPLICATE_IN_LIST),
    ]


def test_held_rows_listed_among_the_problems_respect_the_cap(officer, cycle, settings):
    settings.SURVEY_LIST_MAX_ERRORS = 1
    office = OrganisationFactory(province=province("Mendoza"))
    for n in (1, 2, 3):
        WorkerFactory(cuil=row(n)["cuil"], province=province("Mendoza"), registered_by=office)
    job = analyse(officer, cycle, [row(1), row(2), row(3)])
    assert (job.review_rows, ImportRowError.objects.filter(job=job).count(), job.unlisted_errors) == (3, 1, 2)


def test_a_list_never_changes_a_known_workers_cbu_and_says_so(officer, cycle):
    """A CBU change is a money event for a second person: a list row with another CBU for a
    worker it may write is imported without it, and the problems list says how to ask."""
    worker = WorkerFactory(
        cuil=row(1)["cuil"], last_name="Núñez", first_name="José 1", birth_date=dt.date(1985, 3, 15), cbu=make_cbu(7)
    )
    same = WorkerFactory(
        cuil=row(2)["cuil"], last_name="Núñez", first_name="José 2", birth_date=dt.date(1985, 3, 15), cbu=make_cbu(8)
    )
    job = analyse(officer, cycle, [row(1, cbu=make_cbu(9)), row(2, cbu=make_cbu(8))])
    assert (job.known_workers, job.review_rows) == (2, 0)
    problems = errors_csv(job)
    assert problems.count("CBU distinto del registrado") == 1
    assert make_cbu(9) in problems and make_cbu(8) not in problems
    apply(officer, job)
    worker.refresh_from_db()
    same.refresh_from_db()
    assert (worker.cbu, same.cbu) == (make_cbu(7), make_cbu(8))
    assert Enrollment.objects.filter(worker__in=[worker, same], cycle=cycle).count() == 2


@pytest.mark.django_db(transaction=True)
def test_in_chunks_every_known_worker_is_written_only_within_the_uploaders_scope(settings):
    """Each chunk decides once what it may write: a worker living elsewhere but enrolled in the
    officer's province is in scope and written; one living and enrolled only elsewhere is held,
    with the same names and birth date or not, and nothing of hers changes."""
    settings.SURVEY_LIST_PARALLEL_MIN_ROWS = 4
    settings.SURVEY_LIST_APPLY_SESSIONS = 2
    settings.SURVEY_LIST_APPLY_CHUNK_ROWS = 2
    tucuman, mendoza = province("Tucumán"), province("Mendoza")
    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=tucuman))
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    office = OrganisationFactory(province=mendoza)

    def mendocino(n: int, **fields) -> Worker:
        values = {"last_name": "Núñez", "first_name": f"José {n}", "birth_date": dt.date(1985, 3, 15)}
        values.update(fields)
        worker = WorkerFactory(cuil=row(n)["cuil"], province=mendoza, registered_by=office, phone="261 1", **values)
        EnrollmentFactory(worker=worker, organisation=office, cycle=CycleFactory(agreement__province=mendoza))
        return worker

    visiting = mendocino(2)
    EnrollmentFactory(
        worker=visiting,
        organisation=office,
        cycle=CycleFactory(agreement__province=tucuman, first_month=dt.date(2025, 5, 1), registration_open=False),
    )
    same_data, other_data = mendocino(4), mendocino(6, birth_date=dt.date(1970, 1, 1))
    before = {worker.pk: stored(worker) for worker in (same_data, other_data)}

    job = apply(officer, analyse(officer, cycle, [row(n) for n in range(1, 8)]))

    assert job.status == J.DONE and job.applied_parts.count() > 1
    assert (job.created_workers, job.updated_workers, job.created_enrollments, job.review_rows) == (4, 1, 5, 2)
    visiting.refresh_from_db()
    assert (visiting.phone, visiting.province, visiting.registered_by) == ("381 4000000", tucuman, office)
    assert Enrollment.objects.filter(cycle=cycle, worker=visiting).exists()
    for worker in (same_data, other_data):
        assert stored(worker) == before[worker.pk]
        assert not Enrollment.objects.filter(cycle=cycle, worker=worker).exists()
    reviews = IdentityReview.objects.order_by("row_number")
    assert [(r.row_number, r.kind, r.in_sender_scope, r.worker) for r in reviews] == [
        (5, K.OTHER_ORGANISATION, False, same_data),
        (7, K.DATA_CONFLICT, False, other_data),
    ]
    assert reviews[0].submitted["cuil"] == row(4)["cuil"] and reviews[1].submitted["birth_date"] == "1985-03-15"


def test_places_left_go_only_to_rows_the_list_may_write(officer, cycle, mendocina):
    """With fewer places than rows, a row held for review neither takes a place nor is reported
    as left without one; the places go to the rows it may write, in file order."""
    from provinces.models import AgreementQuota

    AgreementQuota.objects.filter(agreement=cycle.agreement, crop=cycle.crop).update(quota=2)
    job = apply(officer, analyse(officer, cycle, [row(1), row(2), row(3), row(4)]))
    assert (job.created_enrollments, job.over_quota, job.review_rows) == (2, 1, 1)
    assert not Enrollment.objects.filter(worker=mendocina, cycle=cycle).exists()
    enrolled = Enrollment.objects.filter(cycle=cycle).values_list("worker__cuil", flat=True)
    assert sorted(enrolled) == sorted([row(2)["cuil"], row(3)["cuil"]])
    left_out = ImportRowError.objects.filter(job=job, message__contains="cupo").values_list("row_number", flat=True)
    assert list(left_out) == [5]
    assert IdentityReview.objects.get().row_number == 2
