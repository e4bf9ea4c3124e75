import pytest

from demo import seed as demo
from provinces.models import Agreement

pytestmark = pytest.mark.django_db


def test_demo_data_loads_twice_without_duplicating():
    from enrollment.models import Enrollment, Worker
    from payments.models import Installment

    demo.seed()
    counts = (
        Worker.objects.count(),
        Enrollment.objects.count(),
        Installment.objects.count(),
        Agreement.objects.count(),
    )
    demo.seed()
    assert counts == (
        Worker.objects.count(),
        Enrollment.objects.count(),
        Installment.objects.count(),
        Agreement.objects.count(),
    )
    assert counts[0] == 72 and counts[2] > 0
    # Every dashboard section has something to show, and a second run adds none of it again.
    from enrollment.screening.models import MatchFlag
    from training.models import Referral

    assert Installment.objects.filter(status="paid").exists()
    assert MatchFlag.objects.filter(status="open").exists() and MatchFlag.objects.exclude(status="open").exists()
    activity = (MatchFlag.objects.count(), Referral.objects.count(), Installment.objects.filter(status="paid").count())
    demo.seed()
    assert activity == (
        MatchFlag.objects.count(),
        Referral.objects.count(),
        Installment.objects.filter(status="paid").count(),
    )
    assert activity[1] > 0
