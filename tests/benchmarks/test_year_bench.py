"""The programme-year benchmark still runs: a tiny year (300 workers, 2 provinces) end to end.

It commits for real (``transaction=True``): batches are built in committed chunks and survey
lists applied by parallel sessions, which cannot see a test's open transaction.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import year_bench  # noqa: E402

from claims.models import Claim  # noqa: E402
from enrollment.models import Enrollment  # noqa: E402
from payments.models import BankFile, Installment, PaymentBatch  # noqa: E402


@pytest.mark.django_db(transaction=True)
def test_a_small_programme_year_runs_through_every_step(settings, tmp_path, capsys):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    world = year_bench.run(300, provinces=2)

    names = [step.name for step in world.steps]
    assert names[:6] == [
        "agreements, quotas, periods",
        "SMVM and SIPA remunerations (CSV)",
        "registry load (CSV)",
        "survey lists imported",
        "screening task (submitted → review)",
        "bulk approval (schedules installments)",
    ]
    assert sum(name.endswith("return reconciled") for name in names) == 4
    assert names[-1] == "claims filed and decided"
    assert all(step.seconds > 0 for step in world.steps)

    # 3 of the 300 are in the incompatible registry and stay in review; the rest are approved
    # with the 4 months their agrarian pay entitles them to, paid in four batches.
    assert Enrollment.objects.filter(status=Enrollment.Status.PENDING_REVIEW).count() == 3
    assert Enrollment.objects.exclude(status=Enrollment.Status.PENDING_REVIEW).count() == 297
    assert Installment.objects.count() == 297 * 4
    assert PaymentBatch.objects.filter(status=PaymentBatch.Status.RECONCILED).count() == 4
    assert BankFile.objects.count() == 4
    assert Installment.objects.filter(status=Installment.Status.PAID).count() > 297 * 3
    assert Claim.objects.filter(status=Claim.Status.UPHELD).count() == 2
    assert Claim.objects.filter(status=Claim.Status.DENIED).count() == 1

    out = capsys.readouterr().out
    assert "per worker:" in out and "peak memory" in out and "load average at the end" in out
