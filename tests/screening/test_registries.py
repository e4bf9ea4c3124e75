import datetime as dt
import threading

import numpy as np
import pytest
from django.db import connection, transaction

from enrollment.screening import engine, services
from enrollment.screening.matching import Person, find_matches, load_candidates
from enrollment.screening.models import (
    ExternalRecord,
    ExternalRegistry,
    RegistryBirthBlock,
    RegistryNameWord,
    RegistryVersion,
)
from enrollment.screening.names import last_key, name_key
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
    assert ExternalRegistry.objects.get(code="desempleo").current_version == first


@pytest.mark.django_db
def test_loading_replaces_the_list_and_keeps_one_previous_version(load_registry):
    versions = [load_registry([f",{30000000 + i},Apellido,Nombre,1980-01-01,2026-01,2026-12"]) for i in range(3)]
    registry = ExternalRegistry.objects.get(code="desempleo")
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


@pytest.mark.django_db
def test_loading_counts_name_words_and_builds_birth_date_blocks(load_registry):
    version = load_registry(
        [
            ",30000001,Benítez,Ana María,1980-03-07,2026-01,2026-06",
            ",30000002,Sosa,Ana,1980-03-07,2026-04,2026-12",
            ",30000003,Paz,Luis,1900-01-01,2026-01,2026-12",  # a placeholder date forms no block
            ",30000004,Paz,Ana,,2026-01,2026-12",
        ]
    )
    ids = list(ExternalRecord.objects.filter(version=version).order_by("pk").values_list("pk", flat=True))
    [block] = RegistryBirthBlock.objects.filter(version=version)
    assert block.birth_date == dt.date(1980, 3, 7) and block.size == 2
    assert (block.benefit_from, block.benefit_to) == (dt.date(2026, 1, 1), dt.date(2026, 12, 1))
    assert np.frombuffer(bytes(block.ids), dtype=">i8").tolist() == ids[:2]
    assert block.name_keys.split("|") == ["BENITES ANA MARIA", "SOSA ANA"]
    assert block.sort_keys.split("|") == ["ANA BENITES MARIA", "ANA SOSA"]
    assert block.dnis.split("|") == ["30000001", "30000002"]
    words = dict(RegistryNameWord.objects.filter(version=version).values_list("token", "records"))
    assert words == {"BENITES": 1, "ANA": 3, "MARIA": 1, "SOSA": 1, "PAS": 2, "LUIS": 1}


@pytest.mark.django_db
def test_word_counts_and_blocks_go_with_their_version(load_registry):
    versions = [load_registry([f",{30000000 + i},Apellido,Nombre,1980-01-0{i + 1},2026-01,2026-12"]) for i in range(3)]
    for model in (RegistryBirthBlock, RegistryNameWord):
        assert not model.objects.filter(version=versions[0]).exists()
        assert model.objects.filter(version=versions[1]).exists() and model.objects.filter(version=versions[2]).exists()


@pytest.mark.django_db
def test_precomputed_blocks_and_counts_find_what_grouping_on_the_fly_finds(load_registry):
    rows = [
        f",,{last},{first},{birth},2026-01,2026-12"
        for last, first, birth in [
            ("Venites", "Silvia", "1985-04-09"),  # sound-alike, same date
            ("Sosa", "Carlos Daniel", "1985-09-04"),  # swapped day and month
            ("Insaurralde", "Romina Belen", "1900-01-01"),  # rare name, placeholder
            ("Gonzalez", "Maria", "1900-01-01"),
            ("Gonzalez", "Maria Rosa", "1979-12-30"),
            ("Solees", "Ana", "1963-07-22"),
            ("Sloees", "Ana", "1963-07-22"),
        ]
    ]
    version = load_registry(rows)
    people = []
    for i, (last, first, birth) in enumerate(
        [
            ("Benítez", "Silvia", dt.date(1985, 4, 9)),
            ("Sosa", "Carlos Daniel", dt.date(1985, 4, 9)),
            ("Insaurralde", "Romina Belén", dt.date(1990, 1, 2)),
            ("González", "María", dt.date(1979, 12, 30)),
            ("Solees", "Ana", dt.date(1963, 7, 22)),
        ]
    ):
        people.append(
            Person(
                ref=i,
                cuil=make_cuil(31000000 + i),
                dni=f"{31000000 + i}",
                name_key=name_key(last, first),
                last_key=last_key(last),
                birth_date=birth,
                month_from=dt.date(2026, 5, 1),
                month_to=dt.date(2026, 8, 1),
            )
        )
    sources = engine.registry_targets([version.pk])
    found = []
    with transaction.atomic(), connection.cursor() as cursor:
        load_candidates(cursor, people)
        for kwargs in (sources, {"targets_sql": sources["targets_sql"], "params": sources["params"]}):
            matches = find_matches(cursor, candidates=people, possible=0.75, same=0.9, **kwargs)
            found.append(sorted((m.candidate.ref, m.target.ref, round(m.score, 6), tuple(m.facts)) for m in matches))
    assert found[0] == found[1]
    assert {(c, "rare_name" in facts) for c, _t, _s, facts in found[0]} >= {(0, False), (1, False), (2, True)}


@pytest.mark.django_db
def test_a_dni_one_keystroke_away_brings_a_pair_in_whatever_the_names(load_registry):
    """Born the same day with a DNI one digit off, or the same first surname with two
    neighbouring digits swapped, the pair is compared (and scored) even though the names or the
    birth dates disagree; a DNI two digits off with another name is not."""
    version = load_registry(
        [
            ",30111222,Quiroga,Juan Carlos,1985-04-09,2026-01,2026-12",
            ",30555666,Lucero,Ramón,1970-01-15,2026-01,2026-12",
            ",30777888,Maidana,Rosa,1990-02-03,2026-01,2026-12",
        ]
    )
    records = dict(ExternalRecord.objects.filter(version=version).values_list("dni", "pk"))
    people = [
        Person(ref, make_cuil(int(dni)), dni, name_key(last, first), last_key(last), birth,
               dt.date(2026, 5, 1), dt.date(2026, 8, 1))
        for ref, (dni, last, first, birth) in enumerate(
            [
                ("30111223", "Benítez", "Marta", dt.date(1985, 4, 9)),  # one digit, same day, other name
                ("30556566", "Lucero", "Pedro", dt.date(1981, 6, 2)),  # swapped digits, same surname
                ("30779988", "Sosa", "Ana", dt.date(1990, 2, 3)),  # two digits, other name
            ]
        )
    ]  # fmt: skip
    sources = engine.registry_targets([version.pk])
    with transaction.atomic(), connection.cursor() as cursor:
        load_candidates(cursor, people)
        for kwargs in (sources, {"targets_sql": sources["targets_sql"], "params": sources["params"]}):
            # Every pair compared comes back with a threshold this low.
            matches = find_matches(cursor, candidates=people, possible=1e-9, same=0.9, **kwargs)
            compared = {(m.candidate.ref, m.target.ref): m.facts for m in matches}
            assert set(compared) == {(0, records["30111222"]), (1, records["30555666"])}
            assert all("dni_typo" in facts for facts in compared.values())


@pytest.mark.django_db
def test_a_pass_nested_in_a_callers_transaction_leaves_it_the_memory_it_had(monkeypatch):
    """The pass raises work_mem for itself only: a caller's statements after it (a payments
    batch that screens inside its own transaction) run with the value they had before, also when
    the pass fails."""
    enrollment = EnrollmentFactory(cycle=CycleFactory())

    def work_mem(cursor) -> str:
        cursor.execute("SHOW work_mem")
        return cursor.fetchone()[0]

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '6MB'")
        engine.run_pass([enrollment.pk], check_eligibility=False)
        assert work_mem(cursor) == "6MB"

        seen = []

        def fail(cursor, *args, **kwargs):
            seen.append(work_mem(cursor))
            raise RuntimeError("registro ilegible")

        monkeypatch.setattr(engine, "_run_pass", fail)
        with pytest.raises(RuntimeError):
            engine.run_pass([enrollment.pk], check_eligibility=False)
        assert seen == ["128MB"] and work_mem(cursor) == "6MB"


@pytest.mark.django_db
def test_a_block_marked_for_rollback_leaves_the_memory_to_the_rollback():
    """As the screening benchmark does: the pass's transaction is rolled back on purpose."""
    from enrollment.screening.matching import use_screening_memory

    with transaction.atomic(), connection.cursor() as cursor, use_screening_memory(cursor):
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone()[0] == "128MB"
        transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone()[0] != "128MB"
