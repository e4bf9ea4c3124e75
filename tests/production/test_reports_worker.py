import pytest
from django.db import transaction

from enrollment.models import Enrollment
from provinces.roles import Role
from reports import services
from reports.models import ReportJob
from tests.factories import CycleFactory, EnrollmentFactory, make_user
from tests.production.conftest import wait_until

pytestmark = pytest.mark.production


def test_real_worker_generates_a_requested_report_with_progress(start_worker):
    cycle = CycleFactory()
    for _ in range(3):
        EnrollmentFactory(cycle=cycle, status=Enrollment.Status.APPROVED)
    reviewer = make_user(Role.MINISTRY_REVIEWER)
    start_worker()
    with transaction.atomic():
        job = services.request_report(by=reviewer, kind="beneficiaries", params={"cycle": cycle.pk}, format="csv")
    wait_until(lambda: ReportJob.objects.get(pk=job.pk).status == ReportJob.Status.DONE, timeout=60)
    job.refresh_from_db()
    assert (job.total_rows, job.done_rows) == (3, 3)
    with job.file.open("rb") as f:
        lines = f.read().decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 4
    job.file.delete(save=False)
