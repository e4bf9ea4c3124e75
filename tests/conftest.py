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


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """A reused test database (``--reuse-db``) keeps the role groups of the run that created it;
    bring them to what ``provinces.roles`` grants now, as ``migrate`` does on a real database."""
    from provinces.bootstrap import sync_role_groups

    with django_db_blocker.unblock():
        sync_role_groups()
