"""Finding 8: production must never run on a key it did not set."""

import os
import subprocess
import sys
from pathlib import Path

from config.localkey import ensure_local_secret_key

ROOT = Path(__file__).resolve().parents[2]


def _import_settings(**env: str) -> subprocess.CompletedProcess:
    # An empty DJANGO_SECRET_KEY in the environment hides the checkout's .env key, as in production.
    full = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", **env)
    code = "import django; django.setup(); from django.conf import settings; print(len(settings.SECRET_KEY))"
    return subprocess.run([sys.executable, "-c", code], env=full, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_settings_refuse_to_start_with_debug_off_and_no_secret_key():
    result = _import_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DJANGO_SECRET_KEY is not set" in result.stderr


def test_settings_start_with_a_real_key_in_production():
    result = _import_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="k" * 60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "60"


def test_a_debug_run_without_a_key_gets_a_random_one_not_a_public_default():
    first = _import_settings(DJANGO_DEBUG="1", DJANGO_SECRET_KEY="")
    assert first.returncode == 0, first.stderr
    assert int(first.stdout) >= 50
    assert "insecure-local-only-key" not in (ROOT / "config" / "settings.py").read_text()


def test_local_key_is_written_once_per_checkout(tmp_path, monkeypatch):
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    dotenv = tmp_path / ".env"
    dotenv.write_text("DJANGO_DEBUG=1")
    ensure_local_secret_key(dotenv)
    text = dotenv.read_text()
    assert text.startswith("DJANGO_DEBUG=1\n") and text.count("DJANGO_SECRET_KEY=") == 1
    key = text.split("DJANGO_SECRET_KEY=")[1].strip()
    assert len(key) >= 50
    ensure_local_secret_key(dotenv)
    assert dotenv.read_text() == text  # the same key for every later process


def test_the_environment_key_wins_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "from-the-environment")
    dotenv = tmp_path / ".env"
    ensure_local_secret_key(dotenv)
    assert not dotenv.exists()
