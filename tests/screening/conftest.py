import datetime as dt
import io
from decimal import Decimal

import pytest

from enrollment.screening import services
from enrollment.screening.models import ExternalRegistry, MinimumWage, RegistryVersion
from provinces.roles import Role
from tests.factories import make_user


@pytest.fixture
def reviewer(db):
    return make_user(Role.MINISTRY_REVIEWER)


def csv_file(rows: list[str], header: str = "cuil,dni,apellido,nombre,fecha_nacimiento,desde,hasta") -> io.BytesIO:
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode())


@pytest.fixture
def load_registry(reviewer):
    """Load CSV rows as a new version of a registry (created on first use)."""

    def load(rows, code="desempleo", incompatible=True, header=None):
        registry = ExternalRegistry.objects.filter(code=code).first() or services.save_registry(
            by=reviewer,
            code=code,
            programme=f"Programa {code}",
            kind=ExternalRegistry.Kind.UNEMPLOYMENT,
            is_incompatible=incompatible,
        )
        version = RegistryVersion.objects.create(registry=registry, source_name=f"{code}.csv", uploaded_by=reviewer)
        args = {"header": header} if header else {}
        return services.load_registry_version(version_id=version.pk, fileobj=csv_file(rows, **args))

    return load


@pytest.fixture
def smvm(db):
    month = dt.date(2025, 1, 1)
    while month < dt.date(2026, 12, 1):
        MinimumWage.objects.create(month=month, amount=Decimal("300000.00"))
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
