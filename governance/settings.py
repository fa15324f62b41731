"""Settings of the block governance platform, read from the environment.

Development defaults need nothing but Python: a SQLite file (WAL) and an embedded
filesystem broker under ``var/``. Production is ``DJANGO_ENV=production`` with
``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``; it refuses an insecure secret key.
"""

import base64
import hashlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"

INSECURE_KEY_PREFIX = "django-insecure-"
SECRET_KEY = os.environ.get(
    "SECRET_KEY", INSECURE_KEY_PREFIX + "development-only-never-in-production"
)
if PRODUCTION and (
    SECRET_KEY.startswith(INSECURE_KEY_PREFIX) or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "DJANGO_ENV=production needs a real SECRET_KEY (50+ random characters); "
        "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
    )

DEBUG = env_bool("DEBUG", not PRODUCTION)

# Keys that encrypt residents' phone numbers at rest (governance/crypto.py): comma-separated
# Fernet keys, newest first. Development derives one from SECRET_KEY; production must set it.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", "")
if not FIELD_ENCRYPTION_KEYS:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs FIELD_ENCRYPTION_KEYS; generate one with: python -c "
            "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )
    FIELD_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
    ]
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # The apps stack, and imports only go down: blocks <- liaison <- events <- governance.
    "blocks",
    "liaison",
    "events",
    "governance",
    "dashboards",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "governance.security.UnchangedPollMiddleware",  # 204 before the rest (issue 21)
    "governance.middleware.ChineseFirstLocaleMiddleware",
    "governance.middleware.RefuseControlCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "governance.security.SessionPolicyMiddleware",
    "governance.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "governance.urls"
WSGI_APPLICATION = "governance.wsgi.application"
ASGI_APPLICATION = "governance.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "blocks.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "db.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the Celery worker writes; IMMEDIATE avoids
    # "database is locked" on lock upgrades inside transactions.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# A PostgreSQL streaming replica serves dashboards, lists and exports (DESIGN §8;
# governance/db.py): writes, reads inside a transaction and the requests of a browser or app
# that wrote in the last REPLICA_PIN_SECONDS stay on the primary. Unset: one database, no
# router.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # tests: the same test database
    DATABASE_ROUTERS = ["governance.db.ReplicaRouter"]
    MIDDLEWARE = [*MIDDLEWARE, "governance.db.ReplicaReadsMiddleware"]
REPLICA_READ_VIEWS = frozenset(
    {
        "dashboard:home",
        "dashboard:area",
        "dashboard:big_screen",
        "dashboard:data",
        "dashboard:report",
        "dashboard:evaluations",
        "api-stats-summary",
        "events:list",
        "events:export",
        "events:deadline_board",
        "liaison:demand_list_export",
        "liaison:problem_list_export",
        "liaison:service_items_export",
        "liaison:ledger_export",
    }
)
REPLICA_PIN_SECONDS = int(os.environ.get("REPLICA_PIN_SECONDS", "10"))
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "30"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "governance.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = ["governance.security.LockoutBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "governance.security.StrengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Pages are Chinese whatever the browser asks; English is chosen with the header's switch,
# whose cookie lasts a year (governance/middleware.py ChineseFirstLocaleMiddleware).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files (everything vendored: intranets have no internet) --------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

# --- Redis and Celery -------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded broker: kombu's filesystem transport, so a bare machine runs worker and
    # beat with no server. Producer and consumer share one folder.
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Long deadlines are never ETA tasks (visibility-timeout redelivery), so the default
    # one hour is only a bound on how long a killed worker's task waits to be redelivered.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
HEARTBEAT_SECONDS = int(os.environ.get("HEARTBEAT_SECONDS", "10"))
# How often beat scans the deadlines and relays the outbox (DESIGN §4: a breach is visible
# within 30 s of its due time).
DEADLINE_SCAN_SECONDS = float(os.environ.get("DEADLINE_SCAN_SECONDS", "10"))
# Clocks claimed per transaction: a killed worker loses at most one batch's work, which
# the next scan redoes.
DEADLINE_SCAN_BATCH = int(os.environ.get("DEADLINE_SCAN_BATCH", "500"))
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "governance@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
# The address people open the platform at, for links in e-mails and group-robot messages.
SITE_URL = os.environ.get("SITE_URL", "")
# A worker or beat that has not been seen for this long is reported down by /healthz.
HEARTBEAT_STALE_AFTER = timedelta(seconds=int(os.environ.get("HEARTBEAT_STALE_SECONDS", "60")))

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("API_USER_RATE", "600/min"),
        "anon": os.environ.get("API_ANON_RATE", "60/min"),
        "login": os.environ.get("API_LOGIN_RATE", "10/min"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON with a depth and size limit, multipart refusing control characters (issue 19).
    "DEFAULT_PARSER_CLASSES": [
        "governance.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "governance.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "governance.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "区块治理平台 API",
    "VERSION": "0.1.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "role", "state" or "kind" of their own: name each choice set.
    "ENUM_NAME_OVERRIDES": {
        "PostingRoleEnum": "blocks.models.Posting.Role",
        "LegalKindEnum": "blocks.models.Posting.LegalKind",
        "AssignmentRoleEnum": "events.models.Assignment.Role",
        "AssignmentStateEnum": "events.models.Assignment.State",
        "DeadlineChangeStateEnum": "events.models.DeadlineChange.State",
        "DeadlineChangeKindEnum": "events.models.DeadlineChange.Kind",
        "ClockKindEnum": "events.models.ClockKind",
        "ClockStateEnum": "events.serializers.CLOCK_STATES",
        "StatusEnum": "events.models.Status",
        "WhistleReasonEnum": "events.models.WhistleReason",
        "ReturnReasonEnum": "events.models.Assignment.ReturnReason",
        "ChannelEnum": "events.models.Channel",
        "FindingStateEnum": "liaison.models.VisitFinding.State",
        "HouseholdMatterChannelEnum": "liaison.models.HouseholdMatter.Channel",
        "HouseholdMatterStateEnum": "liaison.models.HouseholdMatter.State",
        "WishStateEnum": "liaison.models.Wish.State",
        "ProblemListStateEnum": "liaison.models.ProblemList.State",
        "ServiceItemStateEnum": "liaison.models.ServiceItem.State",
        "LedgerItemStateEnum": "liaison.models.LedgerItem.State",
        "QuarterStateEnum": "liaison.models.QuarterState",
    },
}

# --- Sessions and security --------------------------------------------------------------
SESSION_COOKIE_AGE = 12 * 3600
# With Redis, sessions are read from the cache (and written through to the database, which
# stays their record): no session query on every page view.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from a meta tag, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

ADMIN_URL = os.environ.get("ADMIN_URL", "admin/")

# Case numbers read YH-20261122-0042: a short prefix per district (code → prefix); a district
# without one uses its six-digit code.
CASE_NUMBER_PREFIXES = {"430302": "YH"}
# Photos: what a phone takes, no more (JPEG/PNG/WebP up to 8 MB, checked by content).
PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_BYTES", str(8 * 1024 * 1024)))
PHOTO_MAX_PER_UPLOAD = 6
# The public report form: at most this many reports per IP address per hour.
PUBLIC_REPORTS_PER_HOUR = int(os.environ.get("PUBLIC_REPORTS_PER_HOUR", "10"))
# Unknown tracking codes tried per IP address and hour before lookups answer 429.
PUBLIC_LOOKUP_MISSES_PER_HOUR = int(os.environ.get("PUBLIC_LOOKUP_MISSES_PER_HOUR", "20"))
# How many reverse proxies (nginx …) stand in front of the web processes: the client's
# address is then read from X-Forwarded-For. 0 trusts nothing but the socket's peer.
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
