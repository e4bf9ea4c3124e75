from tests.claims.conftest import approved, held, office, officer, payer, rejected, reviewer  # noqa: F401
