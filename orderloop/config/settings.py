"""Settings, read from the environment.

Embedded default: a SQLite file under ``var/``, a Huey queue in a SQLite file
beside it. Production: ``DATABASE_URL=postgres://…`` and ``HUEY_URL=redis://…``.
"""
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ORDERLOOP_VAR_DIR", Path.cwd() / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY")
    if key:
        return key
    # Embedded installs keep a generated key in the data folder, so sessions
    # survive restarts without anyone having to invent a secret.
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # the API docs page from its own static files, not a CDN with an inline script (CSP)
    "huey.contrib.djhuey",
    "orderloop.core",
    "orderloop.accounts",
    "orderloop.masterdata",
    "orderloop.orders",
    "orderloop.finance",
    "orderloop.notifications",
    "orderloop.aftersales",
    "orderloop.reviews",
    "orderloop.setup",
    "orderloop.golive",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "orderloop.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "orderloop.core.middleware.ChosenLanguageMiddleware",
    "orderloop.config.api.ApiErrorsMiddleware",
    "orderloop.core.middleware.NulRefusedMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "orderloop.accounts.sessions.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "orderloop.config.urls"
WSGI_APPLICATION = "orderloop.config.wsgi.application"

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
                "orderloop.notifications.context.unread_notifications",
                "orderloop.core.help.help_context",
                "orderloop.accounts.context.may",
            ],
            # Django's {% url %} and |date, the same output for less work (core/templatetags/faster.py)
            "builtins": ["orderloop.core.templatetags.faster"],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'orderloop.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "orderloop.core.sqlite3"  # Django's, each statement converted once (see there)
    # IMMEDIATE transactions serialize writers (select_for_update is a no-op on
    # SQLite); WAL lets readers go on while one writes.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that tests can run several processes against it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "orderloop.core.postgresql"  # Django's, moments read by psycopg's C loader

# PostgreSQL: the lifecycle's statements are kept prepared on the server (core.prepared.server_prepared).
# A pooler in transaction mode that cannot keep prepared statements (PgBouncer before 1.21, or without
# max_prepared_statements) needs ORDERLOOP_PG_PREPARED_STATEMENTS=0.
ORDERLOOP_PG_PREPARED_STATEMENTS = env_bool("ORDERLOOP_PG_PREPARED_STATEMENTS", True)
# The lifecycle's statements written once (core.prepared: PreparedQuery, insert, update) rest on Django's
# internals. ORDERLOOP_PREPARED_SQL=0 lets the ORM build them as usual (slower, the same rows): after a Django
# upgrade, until the prepared SQL is checked against it. It switches server_prepared off too.
ORDERLOOP_PREPARED_SQL = env_bool("ORDERLOOP_PREPARED_SQL", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "orders:today"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = os.environ.get("ORDERLOOP_STATIC_ROOT") or None  # set it to serve collected, compressed files
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("ORDERLOOP_MEDIA_ROOT", VAR_DIR / "media"))

# Django's ModelBackend, refusing every way in while a username is locked at an address, or the address is
AUTHENTICATION_BACKENDS = ["orderloop.accounts.throttle.ThrottledModelBackend"]
# Login throttling (docs/operations.md): failures per username from one address, and per address, counted within
# the window; reaching either limit refuses further attempts from that address for the lockout. The limit per
# username and address is still read from its former name, ORDERLOOP_LOGIN_FAILURES_PER_USERNAME, if set.
ORDERLOOP_LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS = int(os.environ.get(
    "ORDERLOOP_LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS", os.environ.get("ORDERLOOP_LOGIN_FAILURES_PER_USERNAME", "5")))
ORDERLOOP_LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("ORDERLOOP_LOGIN_FAILURES_PER_ADDRESS", "20"))
ORDERLOOP_LOGIN_WINDOW_MINUTES = int(os.environ.get("ORDERLOOP_LOGIN_WINDOW_MINUTES", "15"))
ORDERLOOP_LOGIN_LOCKOUT_MINUTES = int(os.environ.get("ORDERLOOP_LOGIN_LOCKOUT_MINUTES", "15"))
# How many reverse proxies in front append to X-Forwarded-For; 0 (the embedded default): REMOTE_ADDR is the client.
ORDERLOOP_PROXY_COUNT = int(os.environ.get("ORDERLOOP_PROXY_COUNT", "0"))

# Django's database sessions, each request's read with its user in one statement compiled once (accounts/sessions.py)
SESSION_ENGINE = "orderloop.accounts.sessions"
# Sessions end when the browser closes, and at the latest 12 hours after login (a working day and then some).
SESSION_COOKIE_AGE = int(float(os.environ.get("ORDERLOOP_SESSION_HOURS", "12")) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("ORDERLOOP_SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

# HTTPS. A deployment behind TLS sets ORDERLOOP_HTTPS=1: plain http is redirected, cookies are sent over
# https only, and browsers are told to use https for a year (HSTS). The embedded `make run` serves plain
# http on 127.0.0.1:8000 and leaves it unset. Each setting can be overridden on its own.
ORDERLOOP_HTTPS = env_bool("ORDERLOOP_HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", ORDERLOOP_HTTPS)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", ORDERLOOP_HTTPS)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", ORDERLOOP_HTTPS)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", str(365 * 24 * 3600) if ORDERLOOP_HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", ORDERLOOP_HTTPS)
# Preloading binds the whole registrable domain and is hard to undo: the domain's owner opts in.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
# Behind a reverse proxy that terminates TLS: the header it sets to "https" (e.g. X-Forwarded-Proto). Only set it
# when the proxy always sets or strips that header, or clients could claim https.
_proxy_ssl_header = os.environ.get("ORDERLOOP_PROXY_SSL_HEADER", "").strip()
SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]  # preload is a deliberate choice, above
# The working list's indexes carry the columns the visibility tests (INCLUDE) on PostgreSQL; SQLite builds the same
# indexes without them, which is what it can do (orders.SalesOrder.Meta.indexes), not a mistake to warn about.
SILENCED_SYSTEM_CHECKS += ["models.W040"]
# Content-Security-Policy (orderloop.core.middleware): only the app's own scripts and styles, no inline code.
ORDERLOOP_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}

# Until a mail server is set (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST…), each e-mail
# the app sends is written to a file in var/mail/.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "orderloop@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)

# The worker: Huey on a SQLite file by default, Redis in production.
HUEY_URL = os.environ.get("HUEY_URL", "")
if HUEY_URL.startswith("redis"):
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "orderloop",
        "url": HUEY_URL,
        "immediate": False,
        "utc": False,  # periodic times (digest 08:30, roll-up 18:00) are Asia/Shanghai, as Django sets TZ
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "orderloop.core.queue.SqliteHuey",  # WAL, synchronous=NORMAL, as the database
        "name": "orderloop",
        "filename": HUEY_URL.removeprefix("sqlite:///") or str(VAR_DIR / "queue.sqlite3"),
        "immediate": env_bool("HUEY_IMMEDIATE", False),
        "utc": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# Business rules: the director rule is edited by an admin (审批规则); these are its defaults.
ORDERLOOP_BUSINESS_TIMEZONE = "Asia/Shanghai"
ORDERLOOP_BUSINESS_HOURS = os.environ.get("ORDERLOOP_BUSINESS_HOURS", "09:00-18:00")
ORDERLOOP_BASE_URL = os.environ.get("ORDERLOOP_BASE_URL", "")  # unset: 系统设置 › 网站地址 (orderloop.setup.site)
ORDERLOOP_SERVED_AT = os.environ.get("ORDERLOOP_SERVED_AT", "")  # set by `orderloop run` for its processes
ORDERLOOP_API_TOKEN_DAYS = int(os.environ.get("ORDERLOOP_API_TOKEN_DAYS", "30"))

# Deadlines (SPEC section 3): amount and clock per kind. Clocks: business_hours (within business hours on
# working days), working_days (end of the Nth working day), clock_hours. "1 business day" is 9 business hours.
ORDERLOOP_SLA = {
    "contact": (float(os.environ.get("ORDERLOOP_SLA_CONTACT_HOURS", "2")), "business_hours"),
    "approval": (9, "business_hours"),
    "stock_check": (9, "business_hours"),
    "negotiation": (float(os.environ.get("ORDERLOOP_SLA_NEGOTIATION_HOURS", "9")), "business_hours"),  # 交期协商
    "tracking": (int(os.environ.get("ORDERLOOP_TRACKING_EVERY_WORKING_DAYS", "1")), "working_days"),
    "follow_up": (3, "working_days"),
}
# An overdue instalment (SPEC section 9) tells the account manager, the sales manager and the director once each,
# after this many working days past its due date (finance.receivables.escalation_thresholds checks the value).
ORDERLOOP_OVERDUE_ESCALATION = os.environ.get("ORDERLOOP_OVERDUE_ESCALATION", "1,5,30")
# Reading paper orders (orders/reading/engine.py): ORDERLOOP_OCR=0 turns the OCR engine off (intake as without it).
ORDERLOOP_OCR = env_bool("ORDERLOOP_OCR", True)
ORDERLOOP_OCR_THREADS = int(os.environ.get("ORDERLOOP_OCR_THREADS", "1"))  # per reading; 1 is cheapest on 2 cores
ORDERLOOP_ORDER_MAILBOX = os.environ.get("ORDERLOOP_ORDER_MAILBOX", "")  # imaps://user:password@host:993/INBOX
ORDERLOOP_LOGISTICS_NOTICE_DAYS = int(os.environ.get("ORDERLOOP_LOGISTICS_NOTICE_DAYS", "1"))  # days before the ETA
ORDERLOOP_RECEIPT_LINK_DAYS = int(os.environ.get("ORDERLOOP_RECEIPT_LINK_DAYS", "7"))  # the customer's receipt link
ORDERLOOP_ARCHIVE_AFTER_DAYS = int(os.environ.get("ORDERLOOP_ARCHIVE_AFTER_DAYS", "365"))  # finished orders, then archived
ORDERLOOP_RATING_LINK_DAYS = int(os.environ.get("ORDERLOOP_RATING_LINK_DAYS", "14"))  # the customer's rating link
ORDERLOOP_PICK_PACK_DAYS = int(os.environ.get("ORDERLOOP_PICK_PACK_DAYS", "2"))  # working days from stock to ready
ORDERLOOP_DIGEST_AT = os.environ.get("ORDERLOOP_DIGEST_AT", "08:30")
ORDERLOOP_ROLLUP_AT = os.environ.get("ORDERLOOP_ROLLUP_AT", "18:00")

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_without_traceback": {"()": "orderloop.core.logs.ClientErrorsWithoutTraceback"}},
    "formatters": {"plain": {"format": "[%(asctime)s] %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["client_errors_without_traceback"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # The worker's lines once: Huey adds a handler of its own only to a "huey" logger without one, and this one does
    # not pass its lines on to the root's. `orderloop run` sets ORDERLOOP_WORKER_LOG_LEVEL=WARNING for its worker.
    "loggers": {"huey": {"handlers": ["console"], "propagate": False,
                         "level": os.environ.get("ORDERLOOP_WORKER_LOG_LEVEL", LOG_LEVEL)}},
}
