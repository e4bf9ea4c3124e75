import datetime as dt
import threading

import pytest
from django.db import connection

from enrollment.screening import engine, services
from enrollment.screening.models import ExternalRecord, ExternalRegistry, RegistryVersion
from tests.factories import CycleFactory, EnrollmentFactory, WorkerFactory, make_cuil

from .conftest import csv_file


@pytest.mark.django_db
def test_bad_rows_are_reported_row_by_row_and_valid_rows_load(load_registry):
    version = load_registry(
        [
            f"{make_cuil(30111222)},,Rodriguez,Ramon,1985-04-09,2026-06,2026-12",
            "20301112221,,Paz,Ana,1990-01-01,2026-06,2026-12",  # check digit wrong
            ",,Luna,Pedro,31/02/1990,2026-06,2026-12",  # no such date
            ",30999888,Sosa",  # columns missing
            ",,Vega,Rosa,,2026-13,2026-12",  # unreadable month
            ",,Ruiz,Ana,09/04/1985,06/2026,12/2026",  # day-first dates are fine
        ]
    )
    assert version.status == RegistryVersion.Status.CURRENT
    assert (version.rows_read, version.rows_loaded, version.rows_rejected) == (6, 2, 4)
    errors = {e["row"]: e["error"] for e in version.errors}
    assert "CUIL inválido «20301112221»" in errors[3]
    assert "fecha de nacimiento ilegible" in errors[4]
    assert "Faltan columnas" in errors[5]
    assert "meses del beneficio ilegibles" in errors[6]
    ruiz = ExternalRecord.objects.get(version=version, last_name="Ruiz")
    assert ruiz.birth_date == dt.date(1985, 4, 9) and ruiz.benefit_to == dt.date(2026, 12, 1)
    rodriguez = ExternalRecord.objects.get(version=version, last_name="Rodriguez")
    assert rodriguez.dni == "30111222"


@pytest.mark.django_db
def test_file_without_required_columns_fails_whole_and_keeps_current_list(load_registry):
    first = load_registry([",30111222,Rodriguez,Ramon,1985-04-09,2026-06,2026-12"])
    failed = load_registry(["30111222,Rodriguez"], header="dni,apellido")
    assert failed.status == RegistryVersion.Status.FAILED
    assert "Faltan columnas: nombre, desde, hasta" in failed.message
    assert ExternalRegistry.objects.get().current_version == first


@pytest.mark.django_db
def test_loading_replaces_the_list_and_keeps_one_previous_version(load_registry):
    versions = [load_registry([f",{30000000 + i},Apellido,Nombre,1980-01-01,2026-01,2026-12"]) for i in range(3)]
    registry = ExternalRegistry.objects.get()
    assert registry.current_version == versions[2]
    assert ExternalRecord.objects.filter(version=versions[0]).count() == 0  # older than the previous: dropped
    assert ExternalRecord.objects.filter(version=versions[1]).count() == 1
    # Loading the same version again does nothing.
    again = services.load_registry_version(version_id=versions[2].pk, fileobj=csv_file([]))
    assert again.rows_loaded == 1


@pytest.mark.django_db(transaction=True)
def test_registry_replaced_during_a_screening_is_seen_whole(load_registry, monkeypatch):
    """A screening that started before two replacements (the second deletes the records it is
    reading) still sees its list complete: the old one, not a mix and not nothing."""
    worker = WorkerFactory(
        cuil=make_cuil(30111222), last_name="Rodríguez", first_name="Ramón", birth_date=dt.date(1985, 4, 9)
    )
    enrollment = EnrollmentFactory(worker=worker, cycle=CycleFactory())
    old_rows = [f"{make_cuil(30111222)},,Rodriguez,Ramon,1985-04-09,2026-05,2026-08"]
    new_rows = [f"{make_cuil(20999888)},,Paz,Ana,1990-01-01,2026-05,2026-08"]
    load_registry(old_rows)
    real = engine.find_matches
    replaced = []

    def replace_meanwhile(cursor, **kwargs):
        if "externalrecord" in kwargs["targets_sql"] and not replaced:

            def writer():
                load_registry(new_rows)
                load_registry(new_rows)
                connection.close()

            thread = threading.Thread(target=writer)
            thread.start()
            thread.join()
            replaced.append(True)
        return real(cursor, **kwargs)

    monkeypatch.setattr(engine, "find_matches", replace_meanwhile)
    result = engine.run_pass([enrollment.pk], check_eligibility=False)
    assert replaced
    assert [f.matched["apellido"] for f in result.flags] == ["Rodriguez"]
    monkeypatch.setattr(engine, "find_matches", real)
    assert engine.run_pass([enrollment.pk], check_eligibility=False).flags == []
