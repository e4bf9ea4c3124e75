"""Reads inside ``reading_from_replica()`` go to the replica when one is configured; writes,
migrations and every other read stay on ``default``."""

import pytest

from config.routers import ReportsReplicaRouter, reading_from_replica, replica_alias
from enrollment.models import Worker

# The router only reads settings.DATABASES; no connection is opened to the overridden aliases.
overriding_databases = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


@overriding_databases
def test_without_a_replica_nothing_is_routed(settings):
    settings.DATABASES = {"default": settings.DATABASES["default"]}
    router = ReportsReplicaRouter()
    with reading_from_replica() as alias:
        assert alias == "default" == replica_alias()
        assert router.db_for_read(Worker) is None


@overriding_databases
def test_with_a_replica_only_opted_in_reads_go_there(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": dict(settings.DATABASES["default"])}
    router = ReportsReplicaRouter()
    assert router.db_for_read(Worker) is None
    with reading_from_replica() as alias:
        assert alias == "replica"
        assert router.db_for_read(Worker) == "replica"
        assert router.db_for_write(Worker) == "default"
    assert router.db_for_read(Worker) is None
    assert router.allow_migrate("replica", "enrollment") is False
    assert router.allow_migrate("default", "enrollment") is True


@pytest.mark.django_db
def test_dashboard_reads_work_through_the_router(world, login):
    # No replica in tests: the opted-in reads fall back to default and see the data.
    response = login(world.users["reviewer"]).get("/tablero/")
    assert response.status_code == 200 and "CONV-TUC" in response.content.decode()
