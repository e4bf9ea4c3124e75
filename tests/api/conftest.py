import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.services import create_token


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def client_for(user) -> APIClient:
    """An API client authenticated with a fresh personal token of ``user``."""
    _token, key = create_token(by=user, name="pruebas")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
