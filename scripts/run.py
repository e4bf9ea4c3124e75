"""`make run`: database, migrations, demo data, a Celery worker, Celery beat and the web server.

Uses DATABASE_URL / CELERY_BROKER_URL when set; otherwise an embedded PostgreSQL in .pgdata/
and a file-based broker in .celery/. Beat sends the periodic tasks of ``CELERY_BEAT_SCHEDULE``
(closing registration of ended periods, completing paid enrollments, the outbox) to the
worker. Ctrl-C stops the worker, beat, the server and, if this script started it, the embedded
PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def banner(port: str, env: dict[str, str] | None = None) -> str:
    """The URL and every demo login, read from the demo's own user list (``demo.data.USERS``)."""
    os.environ.update(env or {})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from demo.data import DEMO_OTP_KEY_BASE32, DEMO_PASSWORD, USERS
    from provinces.roles import Role

    width = max(len(user[0]) for user in USERS) + 2
    logins = "\n".join(f"  {user[0]:<{width}}{Role(user[2]).label} · {user[3]}" for user in USERS)
    return f"""
Interzafra está en http://127.0.0.1:{port}/   (API: http://127.0.0.1:{port}/api/v1/docs/)
Usuarios de demostración (contraseña de todos: {DEMO_PASSWORD}):
{logins}
  {"admin":<{width}}Superusuario (solo /admin/)
Los usuarios del Ministerio verifican en dos pasos: código vigente con `make otp USER=revisora`,
o cargue en su aplicación la clave de demostración {" ".join(DEMO_OTP_KEY_BASE32[i : i + 4] for i in range(0, 32, 4))}.
Ctrl-C detiene todo.
"""


def beat_command() -> list[str]:
    """Celery beat with the database scheduler of the settings (django-celery-beat) and no pid
    file in the checkout."""
    return [str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO", "--pidfile="]


def main() -> int:
    from config.localkey import ensure_local_secret_key

    ensure_local_secret_key()  # this checkout's own key in .env; production sets DJANGO_SECRET_KEY
    env = dict(os.environ)
    started_embedded = False
    if "DATABASE_URL" not in env:
        from config import embedded

        env["DATABASE_URL"] = embedded.database_url()
        started_embedded = True
    env.setdefault("DJANGO_DEBUG", "1")
    port = env.get("PORT", "8000")
    manage = [sys.executable, str(ROOT / "manage.py")]

    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "seed_demo"], env=env, check=True, cwd=ROOT)

    worker = subprocess.Popen(
        [str(BIN / "celery"), "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", "2"], env=env, cwd=ROOT
    )
    beat = subprocess.Popen(beat_command(), env=env, cwd=ROOT)
    server = subprocess.Popen([*manage, "runserver", f"127.0.0.1:{port}", "--noreload"], env=env, cwd=ROOT)
    print(banner(port, env), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    code = 0
    try:
        while True:
            for proc in (worker, beat, server):
                if proc.poll() is not None:
                    raise SystemExit(proc.returncode or 1)
            time.sleep(1)
    except (KeyboardInterrupt, SystemExit) as stop:
        code = stop.code if isinstance(stop, SystemExit) and isinstance(stop.code, int) else 0
    finally:
        for proc in (server, beat, worker):
            if proc.poll() is None:
                proc.terminate()
        for proc in (server, beat, worker):
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if started_embedded:
            from config import embedded

            embedded.stop()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
