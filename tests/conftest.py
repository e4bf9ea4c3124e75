import pytest

from config.celery import app as celery_app


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    """Unit tests run Celery tasks in-process; tests/production runs a real worker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
