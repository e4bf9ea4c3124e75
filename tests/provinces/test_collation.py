"""Names sort as a Spanish reader expects (an ICU collation): accents do not push a name to the end.

The collation needs a PostgreSQL built with ICU, as the production server is (README); the
embedded server that `make test` and `make run` start has no ICU and sorts these names byte by
byte. So these tests run with the production-like ones, against the system PostgreSQL
(`.ci/run`)."""

import pytest

from enrollment.models import Enrollment
from provinces.models import Crop, Province
from tests.factories import AgreementFactory, CycleFactory, EnrollmentFactory, province

pytestmark = [pytest.mark.django_db, pytest.mark.production]


def test_provinces_sort_cordoba_before_corrientes_and_entre_rios_before_formosa():
    names = list(Province.objects.values_list("name", flat=True))
    assert names.index("Córdoba") < names.index("Corrientes")
    assert names.index("Entre Ríos") < names.index("Formosa")


def test_ordering_through_a_join_uses_the_same_collation():
    for name in ("Corrientes", "Córdoba"):
        EnrollmentFactory(cycle=CycleFactory(agreement=AgreementFactory(province=province(name))))
    ordered = Enrollment.objects.order_by("cycle__agreement__province__name").values_list(
        "cycle__agreement__province__name", flat=True
    )
    assert list(ordered) == ["Córdoba", "Corrientes"]


def test_activities_sort_with_accents_in_place():
    for code, name in [("zz-1", "Zzalfa"), ("zz-2", "Zzálgebra"), ("zz-3", "Zzamba")]:
        Crop.objects.create(code=code, name=name)
    names = [n for n in Crop.objects.values_list("name", flat=True) if n.startswith("Zz")]
    assert names == ["Zzalfa", "Zzálgebra", "Zzamba"]
