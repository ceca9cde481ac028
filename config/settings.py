"""Lobby settings: one file, driven by environment variables.

No environment means production: DEBUG off, secure cookies, HTTPS, and a
SECRET_KEY that must be given. `make run` switches development mode on
(DEBUG=1 and a key of the checkout's own under var/). Production differs only
by environment values (see .env.example and docs/deployment.md).
"""

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_secret_file, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

# The key signs invitation and acknowledgement links and sessions, so it never
# comes from the repository: anyone could forge links with a published key
# (issue #15). SECRET_KEY_FILE names a file holding it (a mounted secret, or
# the var/secret_key that `make run` uses); in development mode a missing file
# is created once with a random key.
SECRET_KEY = env_str("SECRET_KEY") or env_secret_file("SECRET_KEY_FILE", create=DEBUG)
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set, or SECRET_KEY_FILE name a file holding it. "
        "For development, `make run` sets DEBUG=1 SECRET_KEY_FILE=var/secret_key."
    )
# Rotating the key (docs/deployment.md): the new key signs from now on, and the
# old ones, comma-separated here, still verify what they signed (sessions,
# invitation, acknowledgement and kiosk links) until they are dropped.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    # Django Ninja: its docs page's Swagger UI comes from its own static files, not a CDN.
    "ninja",
    "reception",
    "visitors",
    "customers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "reception.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that touches the database: an outage answers 503.
    "reception.middleware.DatabaseOutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A desk's repeat poll that finds nothing new, answered before the user is read.
    "visitors.middleware.DeskPollMiddleware",
    "reception.middleware.SiteMiddleware",
    "reception.middleware.IdleTimeoutMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# BENCH_CEILING=1 (set only by `make bench` for its own server) adds one trivial
# page, the benchmark's ceiling; see config/bench_urls.py.
ROOT_URLCONF = "config.bench_urls" if env_bool("BENCH_CEILING", False) else "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite under var/ for a single desk, PostgreSQL via DATABASE_URL.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'lobby.sqlite3'}")
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 0, minimum=0))
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a usable database URL: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so two desks writing at
    # once wait for each other instead of failing with "database is locked"; WAL
    # lets readers carry on while one desk writes.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, reading timestamps with psycopg's C loader (config/postgresql).
    _db["ENGINE"] = "config.postgresql"
    # Without health checks, the first request after a database restart fails.
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 3, minimum=1)
    # The desk's queries are short, and starting parallel workers can cost more
    # than they save: a broad visitor-log search at a million visits took 57 ms
    # with two workers and 36 ms without on the bench machine (issue #7). A high
    # setup cost leaves parallel plans to the really large reads, such as a count
    # of the whole history; DB_PARALLEL_SETUP_COST=1000 is PostgreSQL's default.
    _parallel = env_int("DB_PARALLEL_SETUP_COST", 10000, minimum=0)
    _db["OPTIONS"]["options"] = f"{_db['OPTIONS'].get('options', '')} -c parallel_setup_cost={_parallel}".strip()
else:
    raise ImproperlyConfigured("DATABASE_URL must point at SQLite or PostgreSQL.")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: shared across processes either way (rate limits rely on it). Redis when
# REDIS_URL is set; otherwise a table in the main database.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL}}
    # Sessions are read from Redis and written through to the database: one
    # query less per request, and a Redis restart signs nobody out. Django's
    # cached_db store, with an update in one statement (config/sessions.py).
    SESSION_ENGINE = "config.sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "lobby_cache"}}

# Background tasks (host notifications, escalations, purges) queue in the database.
TASKS = {"default": {"BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# R4.1: sign-in lockout (django-axes). Five wrong passwords for one username from
# one address pause that pair for 15 minutes. Never a permanent lock, and never
# per username alone: either would let anyone lock the desk out by typing its
# username. Tries made while locked out do not extend the pause.
AUTHENTICATION_BACKENDS = [
    "reception.security.LobbyAxesBackend",
    "reception.security.StaffBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "reception.security.client_ip"
# Only failed attempts are kept (they drive the lockout); a log of every
# successful sign-in would be one more store of addresses with no retention.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no start-up banner in every command's and test run's output
AXES_LOCKOUT_CALLABLE = "reception.security.lockout_response"

# R4.1: an unattended desk logs itself out. IdleTimeoutMiddleware signs out a
# session whose last real request is older than this (the dashboard's polling
# does not count), and says why on the sign-in page. The session cookie lasts
# until the browser closes. A session is saved only when it changes: the
# middleware records real activity once a minute, so polls and clicks within
# the minute write nothing (each save is a database commit; issue #7). The
# stored session outlives the idle timeout by far, so that it is always the
# middleware, with its message, that ends an idle desk's session.
IDLE_TIMEOUT_MINUTES = env_int("IDLE_TIMEOUT_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = max(12 * 3600, 2 * IDLE_TIMEOUT_MINUTES * 60)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Internationalisation: English and Simplified Chinese on every page.
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"LANGUAGE_CODE={LANGUAGE_CODE!r}; choose one of {', '.join(dict(LANGUAGES))}.")
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not a known IANA time zone.") from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # var/ also holds the SQLite file
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = BASE_DIR / "var" / "media"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail: printed to the console in development; SMTP otherwise, so that an
# installation without mail settings shows failed deliveries on the dashboard
# instead of printing invitation links into its log.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "lobby@localhost")
# Links in emails (invitations, acknowledgements, the morning report) and the
# kiosk's enrolment link are absolute, so they must name the address people
# reach the desk at: production says so (issue #16); `make run` derives it from
# PORT. An address without scheme or host is refused in any mode.
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")
if not SITE_URL:
    raise ImproperlyConfigured(
        "SITE_URL must be set in production: the address of this installation, such as "
        "https://lobby.example.com, used in emailed and printed links. `make run` sets it for development."
    )

# Webhooks and chat robots go only to public https:// addresses: checked when a
# channel is saved, and again on the resolved addresses when a message is sent
# (issue #15). An installation whose receiver is on its own network, or speaks
# plain http, turns this on.
LOBBY_ALLOW_PRIVATE_WEBHOOKS = env_bool("LOBBY_ALLOW_PRIVATE_WEBHOOKS", False)

# Security headers and cookies; production turns these on by DEBUG=0.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# "preload" only consents to the browsers' HSTS preload list; nothing happens
# until someone submits the domain at hstspreload.org. SECURE_HSTS_PRELOAD=0
# withholds that consent.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# A monitor asks the app server for /healthz over plain HTTP, without the
# proxy's X-Forwarded-Proto: it must see 200 or 503, never the HTTPS redirect.
# The answer holds no personal data.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy: trust its X-Forwarded-Proto, and take the
# client address for the sign-in lockout from its X-Forwarded-For.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content security policy: our own scripts, styles and images only, no inline
# code (htmx's indicator style is switched off in base.html), no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Browser features: all off, except the camera for this site's own pages, where
# a kiosk or the desk may scan a visitor's QR code.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "camera": ["self"],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "picture-in-picture": [],
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "usb": [],
    "xr-spatial-tracking": [],
}
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS")

# R4.1: every handler redacts phone and ID numbers (config/logging.py). Django's
# own loggers are given these handlers in place of its unfiltered defaults.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_numbers": {"()": "config.logging.RedactPersonalNumbers"}},
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_numbers"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_numbers"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}
