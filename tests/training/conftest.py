import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Test users get a password; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
