import pytest

from config.celery import app as celery_app


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    """Unit tests run Celery tasks in-process; tests/production runs a real worker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Password hashing strength is not under test; the suite would spend most of its time there."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def _client_login_passes_a_request():
    """django-axes counts failed logins per username and address, so it needs the request in
    ``authenticate()``; the test client's ``login()`` passes none. Give it one, as the login form
    would, so that ``client.login`` keeps working and its attempts count like real ones."""
    from django.test import Client, RequestFactory

    original = Client.login

    def login(self, **credentials):
        credentials.setdefault("request", RequestFactory().post("/ingresar/"))
        return original(self, **credentials)

    Client.login = login
    yield
    Client.login = original


@pytest.fixture(autouse=True)
def _spanish_by_default():
    """Each test starts in the default language: a request in English must not leak into the next test."""
    from django.utils import translation

    translation.activate("es-ar")
    yield
    translation.deactivate()


def _flushes_the_database(item) -> bool:
    """Whether a test commits for real: Django empties every table after such a test, the rows
    the data migrations wrote (provinces, crops, registry kinds, the entitlement table) included."""
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


def pytest_runtest_setup(item):
    if _flushes_the_database(item):
        item.config.stash[_FLUSHED] = True


_FLUSHED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_setup, django_db_blocker, django_db_keepdb, django_db_createdb):
    """A reused test database (``--reuse-db``) keeps the role groups of the run that created it;
    bring them to what ``provinces.roles`` grants now, as ``migrate`` does on a real database.

    A run that flushed the database (a test that commits for real) leaves it without the rows the
    data migrations wrote; a reused database in that state would fail the next run's tests, one
    by one and depending on their order. Such a run drops the test database at the end, so the
    next one creates and migrates it again."""
    from django.db import connection

    from provinces.bootstrap import sync_role_groups

    with django_db_blocker.unblock():
        sync_role_groups()
    yield
    if not django_db_keepdb or not request.config.stash.get(_FLUSHED, False):
        return  # without --reuse-db pytest-django drops it itself
    name = connection.settings_dict["NAME"]
    if not name.startswith("test_"):
        return  # never anything but a test database
    with django_db_blocker.unblock():
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")
