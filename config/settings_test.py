"""Settings for the test suite: the project's settings with this checkout's local secret key
(``config/localkey.py``), so that tests run out of the box while production never falls back
to a key it did not set."""

from config.localkey import ensure_local_secret_key

ensure_local_secret_key()

from config.settings import *  # noqa: E402, F403
