from tests.claims.conftest import approved, held, office, rejected, reviewer  # noqa: F401
