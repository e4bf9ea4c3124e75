"""A secret key for this checkout's local runs, tests and benchmarks — never for production.

``config/settings.py`` refuses to start with ``DEBUG`` off and no ``DJANGO_SECRET_KEY``: there is
no public default to fall back to. The local tools (``make run``, the test settings, the
benchmarks) call :func:`ensure_local_secret_key` first, which writes a random key to this
checkout's git-ignored ``.env`` the first time, so every process of the checkout (web server,
Celery workers, ``manage.py``) reads the same key. Production sets its own key in its
environment, and the environment always wins over ``.env``.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
_LINE = re.compile(r"^\s*(?:export\s+)?DJANGO_SECRET_KEY\s*=\s*\S", re.MULTILINE)


def ensure_local_secret_key(dotenv: Path | None = None) -> None:
    """Make sure a secret key is set for this checkout: from the environment, from ``.env``, or
    a new random one appended to ``.env``."""
    if os.environ.get("DJANGO_SECRET_KEY"):
        return
    dotenv = dotenv or BASE_DIR / ".env"
    text = dotenv.read_text() if dotenv.exists() else ""
    if not _LINE.search(text):
        key = secrets.token_urlsafe(50)
        with dotenv.open("a") as out:
            if text and not text.endswith("\n"):
                out.write("\n")
            out.write(
                "# Generated for this checkout's local runs and tests (config/localkey.py); production\n"
                f"# sets its own DJANGO_SECRET_KEY in the environment.\nDJANGO_SECRET_KEY={key}\n"
            )
