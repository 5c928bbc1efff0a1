"""Zcheap Studio settings: one module, driven by environment variables.

Every setting has a development default that just works (SQLite in ./data, demo mode on the
built-in simulator, e-mail to the console). Production sets DEBUG=False and the variables listed
in .env.example; `manage.py check --deploy` then passes with no warnings.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """Return env var NAME, or the content of the file named by NAME_FILE (Docker secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    """Parse a boolean env var strictly so a typo fails loudly instead of meaning False."""
    value = env(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = env(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# --- Paths and core -------------------------------------------------------------------------
DATA_DIR = Path(env("ZCHEAP_DATA_DIR", str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", True)
TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")


def _secret_key() -> str:
    key = env("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
    # Development: generate once into the data folder so sessions survive restarts.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# Rotation: sessions, password-reset links and signed links made with these still verify.
SECRET_KEY_FALLBACKS = envlist("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "allauth",
    "allauth.account",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "gallery",
    "assets",
    "audit",
    "notifications",
    "sharing",
    "presets",
    "operations",
    "spend",
]

MIDDLEWARE = [
    "zcheap_site.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "zcheap_site.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "zcheap_site.middleware.RejectNulBytesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accounts.middleware.AuthenticationMiddleware",
    "accounts.middleware.HtmxLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.CurrentTeamMiddleware",
]

ROOT_URLCONF = "zcheap_site.urls"
WSGI_APPLICATION = "zcheap_site.wsgi.application"

TEMPLATES = [
    {
        # Django's, with {% load i18n %} / {% load static %} remembering literal translations
        # and static URLs (zcheap_site/templates.py)
        "BACKEND": "zcheap_site.templates.DjangoTemplates",
        "NAME": "django",  # engines["django"], as with Django's backend
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.team",
                "spend.context_processors.spend",
            ],
            "libraries": {
                "cards": "gallery.generation.cards",
                "item_page": "gallery.browse.item_tags",
                "layout": "zcheap_site.layout",
            },
            # {% url %} remembers what it reversed (zcheap_site/fast_url.py)
            "builtins": ["zcheap_site.fast_url"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite is tuned for a web process and a worker writing at once: WAL lets readers go on while
# one writer writes, the busy timeout makes a second writer wait instead of failing, and
# IMMEDIATE transactions take the write lock up front so two read-then-write transactions
# cannot deadlock (the classic "database is locked" in SQLite's deferred mode).
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000; "
        "PRAGMA foreign_keys=ON;"
    ),
}


# Production keeps each process's database connection for a minute (with a health check before
# reuse) instead of opening one per request: under 200 polling tabs a new PostgreSQL connection
# per request cost ~300 ms at p50 and saturated the CPU. Development keeps Django's default (0),
# so runserver's threads never hold connections that block a `flush` or `migrate`.
CONN_MAX_AGE = envint("CONN_MAX_AGE", 0 if DEBUG else 60)


def _database(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=CONN_MAX_AGE)
    config["CONN_HEALTH_CHECKS"] = True
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
        # Tests use a file too (not shared-cache memory), so the browser tests' live server and
        # worker thread write concurrently exactly as the web server and worker do.
        config["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}
    return config


DATABASES = {"default": _database(env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Cache ----------------------------------------------------------------------------------
# Login rate limits (django-allauth) live here, so every web process must see the same one:
# per-process memory only in development. CACHE_URL: locmem://, db:// (a table that
# `migrate` creates; the default when DEBUG is false) or redis://host:6379/N.
def _cache(url: str) -> dict:
    scheme = url.split("://", 1)[0].lower() if url else ("locmem" if DEBUG else "db")
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if scheme == "db":
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "zcheap_cache",
        }
    if scheme in {"redis", "rediss"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    raise ImproperlyConfigured("CACHE_URL must start with locmem://, db:// or redis://")


CACHES = {
    "default": _cache(env("CACHE_URL")),
    # The gallery's filter lists (gallery/browse/listings.py) are cached in each process's own
    # memory: their keys carry the team's listing_version, which every request reads with the
    # team row, so a change made through any process is seen by the next request in every
    # process without a shared cache, and a hit costs no query (a db:// hit costs one). SQLite's
    # prompt search keeps its rare/common verdict per word here too (gallery/search.py).
    "listings": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "zcheap-listings",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}

# --- Background tasks (Django Tasks API) ----------------------------------------------------
TASK_BACKEND = env("TASK_BACKEND", "database").lower()
# Lanes: each queue has its own worker threads (processes with RQ) in `run_worker`, so a poll
# turn or a hung submit never holds up a submit or an ingest queued behind it.
TASK_QUEUES = ["submit", "ingest", "loops", "default"]
if TASK_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
elif TASK_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
    RQ_QUEUES = {q: {"URL": env("REDIS_URL", "redis://127.0.0.1:6379/0")} for q in TASK_QUEUES}
elif TASK_BACKEND == "immediate":
    TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": TASK_QUEUES,
        }
    }
else:
    raise ImproperlyConfigured("TASK_BACKEND must be database, rq or immediate")

# --- Auth (django-allauth, e-mail login, closed sign-up) ------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends, reading the user's memberships with the user (one query).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "accounts.allauth_forms.LoginForm",
    "reset_password": "accounts.allauth_forms.ResetPasswordForm",
    "reset_password_from_key": "accounts.allauth_forms.ResetPasswordKeyForm",
    "change_password": "accounts.allauth_forms.ChangePasswordForm",
    "set_password": "accounts.allauth_forms.SetPasswordForm",
    "signup": "accounts.allauth_forms.SignupForm",
}
ACCOUNT_ALLOW_SIGNUP = envbool("ACCOUNT_ALLOW_SIGNUP", False)
# Who may start a team: "anyone" logged in, or "staff" only (is_staff; `createteam` always can).
TEAM_CREATION = env("TEAM_CREATION", "anyone" if DEBUG else "staff").strip().lower()
if TEAM_CREATION not in {"anyone", "staff"}:
    raise ImproperlyConfigured("TEAM_CREATION must be anyone or staff")
ACCOUNT_SESSION_REMEMBER = None
# Behind a reverse proxy every request comes from the proxy's address; a limit on that address
# locks everyone out at once. TRUSTED_PROXY_COUNT is how many proxies of ours add themselves to
# X-Forwarded-For (nginx in front: 1); the client is the entry that many from the right (entries
# further left are written by the client and may be forged). 0: REMOTE_ADDR (no proxy).
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
# Per address and per account (the e-mail typed): wrong passwords, resets. A correct password
# does not count towards "login_failed". Counted in the shared cache above.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
# Password reset answers the same for every address (an unknown one gets an "unknown account"
# e-mail instead of a link), so the form cannot tell who has an account.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Zcheap Studio] "
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- E-mail: console by default, SMTP when EMAIL_HOST is set --------------------------------
EMAIL_HOST = env("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = envint("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Zcheap Studio <studio@localhost>")

# --- i18n ------------------------------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"  # never served directly: media goes through access-checked views

STORAGE_BACKEND = env("STORAGE_BACKEND", "local").lower()
if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            "access_key": env("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": envint("AWS_QUERYSTRING_EXPIRE", 3600),
            "file_overwrite": False,
        },
    }
elif STORAGE_BACKEND == "local":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured("STORAGE_BACKEND must be local or s3")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Served media: "django" streams from storage; "x-accel-redirect" / "x-sendfile" hand it to
# nginx/Apache after the access check.
MEDIA_SERVE_MODE = env("MEDIA_SERVE_MODE", "django")
MEDIA_ACCEL_PREFIX = env("MEDIA_ACCEL_PREFIX", "/protected-media/")
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", 30 * 1024 * 1024)
# Batch runs (presets app): most tasks one batch may make, largest CSV file accepted.
BATCH_MAX_TASKS = envint("BATCH_MAX_TASKS", 500)
BATCH_CSV_MAX_BYTES = envint("BATCH_CSV_MAX_BYTES", 2 * 1024 * 1024)

# --- Zcheap ----------------------------------------------------------------------------------
ZCHEAP_BASE_URL = env("ZCHEAP_BASE_URL", "https://zcheap.ai")
# Public base URL at which Zcheap can fetch our signed reference-media links.
ZCHEAP_PUBLIC_BASE_URL = env("ZCHEAP_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
ZCHEAP_SIMULATOR_DB = Path(env("ZCHEAP_SIMULATOR_DB", str(DATA_DIR / "simulator" / "state.db")))
# Demo mode: a team without an API key runs on the built-in simulator. Off unless enabled here
# (`python3 dev.py` turns it on for development; production leaves it off, issue 11).
ZCHEAP_DEMO_MODE = envbool("ZCHEAP_DEMO_MODE", False)
ZCHEAP_DEMO_SPEED = env("ZCHEAP_DEMO_SPEED", "demo")  # demo (a few seconds) or fast
# A simulator failure marker applied to every demo submit (e.g. 429, hang, moderation).
ZCHEAP_DEMO_INJECT = env("ZCHEAP_DEMO_INJECT", "")
# Development only: the local simulator (`manage.py zcheap_simulator`) a team's base URL may point
# at although it is on loopback. Ignored unless DEBUG: in production every base URL must be a
# public https:// host (accounts/base_url.py).
ZCHEAP_DEV_SIMULATOR_URL = (
    env("ZCHEAP_DEV_SIMULATOR_URL", "http://127.0.0.1:8765").rstrip("/") if DEBUG else ""
)
# Seconds to wait for Zcheap: to connect, and for a reply (a submit that waits longer is reported
# as "may or may not have reached Zcheap", never resent).
ZCHEAP_CONNECT_TIMEOUT = float(env("ZCHEAP_CONNECT_TIMEOUT", "5"))
ZCHEAP_READ_TIMEOUT = float(env("ZCHEAP_READ_TIMEOUT", "30"))
# Keys are encrypted at rest with this key (any string; a Fernet key is derived from it).
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY") or SECRET_KEY  # empty counts as unset
# Rotation: earlier keys still decrypt (`manage.py rotate_encryption_key` re-encrypts with the
# new one). Without its own FIELD_ENCRYPTION_KEY the key follows SECRET_KEY, so the SECRET_KEY
# fallbacks count as earlier keys too.
FIELD_ENCRYPTION_OLD_KEYS = envlist("FIELD_ENCRYPTION_OLD_KEYS") + (
    [] if env("FIELD_ENCRYPTION_KEY") else envlist("SECRET_KEY_FALLBACKS")
)
# Signed public links to our files (reference images, asset sources) live this long.
PUBLIC_LINK_TTL_SECONDS = envint("PUBLIC_LINK_TTL_SECONDS", 6 * 3600)
PUBLIC_LINK_TTL_MAX_SECONDS = 7 * 24 * 3600

# --- Security --------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_ENGINE = "accounts.sessions"  # Django's database sessions, read in plain SQL
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    if envbool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs: JSON lines with the request id in production (LOG_FORMAT=plain for people reading).
LOG_FORMAT = env("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be plain or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "zcheap_site.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {"()": "zcheap_site.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# --- Generation worker (create forms, tasks, polling, ingest) -------------------------------
ZCHEAP_DOWNLOAD_ALLOWED_HOSTS = envlist("ZCHEAP_DOWNLOAD_ALLOWED_HOSTS")
DOWNLOAD_MAX_IMAGE_BYTES = envint("DOWNLOAD_MAX_IMAGE_BYTES", 50 * 1024 * 1024)
DOWNLOAD_MAX_VIDEO_BYTES = envint("DOWNLOAD_MAX_VIDEO_BYTES", 500 * 1024 * 1024)
IMAGE_MAX_PIXELS = envint("IMAGE_MAX_PIXELS", 80_000_000)
# Seconds until a task still running is shown as timed out (a late result still lands for 24 h).
GENERATION_DEADLINES = {"image": 600, "mj": 900, "video": 3600}
GENERATION_LATE_WINDOW = 24 * 3600
POLL_BATCH_SIZE = envint("POLL_BATCH_SIZE", 200)
# How long a worker owns a row it works on; a killed worker's rows are picked up after this.
WORKER_LEASE_SECONDS = envint("WORKER_LEASE_SECONDS", 120)
RECONCILE_SECONDS = envint("RECONCILE_SECONDS", 30)
# The poll process of each worker: HTTP requests in the air at once, and batches claimed at once
# (one is written to the database while the others wait for their replies).
POLL_CONCURRENCY = envint("POLL_CONCURRENCY", 200)
POLL_PIPELINES = envint("POLL_PIPELINES", 4)
# Poll processes per `run_worker` (each its own CPU core at most: httpx is CPU-bound per request).
POLL_PROCESSES = max(1, envint("POLL_PROCESSES", min(2, os.cpu_count() or 1)))
# Ingest processes per `run_worker` (database backend), each with INGEST_CONCURRENCY threads.
INGEST_PROCESSES = max(1, envint("INGEST_PROCESSES", 1))
# Worker threads per lane in one `run_worker` (database backend): a submit that hangs until its
# timeout holds one submit thread, the others go on.
SUBMIT_CONCURRENCY = envint("SUBMIT_CONCURRENCY", 16)
INGEST_CONCURRENCY = envint("INGEST_CONCURRENCY", 8)
# Fair share (gallery/generation/fairness.py): caps on requests in flight (being sent, sent or
# running at Zcheap) per team and per member; 0 means no cap. A capped task waits in the queue.
FAIR_TEAM_MAX_IN_FLIGHT = envint("FAIR_TEAM_MAX_IN_FLIGHT", 0)
FAIR_MEMBER_MAX_IN_FLIGHT = envint("FAIR_MEMBER_MAX_IN_FLIGHT", 500)
# Submit (ingest) tasks waiting in the queue at once; 0: the lane's workers across live workers.
FAIR_QUEUE_DEPTH = envint("FAIR_QUEUE_DEPTH", 0)
# /healthz reports the newest worker heartbeat; older than this counts as "no worker alive".
WORKER_HEARTBEAT_MAX_AGE = envint("WORKER_HEARTBEAT_MAX_AGE", 60)

# --- Gallery (browsing, boards, media serving) ----------------------------------------------

# --- Assets (provider asset library mirror) -------------------------------------------------
ZCHEAP_DEMO_ASSET_QUOTA = envint("ZCHEAP_DEMO_ASSET_QUOTA", 500)  # the simulator's asset quota
# How often the worker syncs every team's asset mirror with Zcheap (0 turns it off).
ASSET_SYNC_SECONDS = envint("ASSET_SYNC_SECONDS", 900)

# --- Notifications and webhooks -------------------------------------------------------------
# Extra `host` or `host:port` entries team webhooks may post to even if private (an intranet
# chat server); everything else must resolve to public addresses (the downloader's SSRF rules).
WEBHOOK_ALLOWED_HOSTS = envlist("WEBHOOK_ALLOWED_HOSTS")
WEBHOOK_TIMEOUT_SECONDS = envint("WEBHOOK_TIMEOUT_SECONDS", 10)
# Deliveries left behind (a lost task, a worker killed mid-send) queued again per reconcile turn.
WEBHOOK_RETRIES_PER_TURN = envint("WEBHOOK_RETRIES_PER_TURN", 100)
# --- Spend (price estimates, budgets, balance, usage) ---------------------------------------
# The unit the gateway shows money in (its display setting): USD, CNY or tokens.
ZCHEAP_MONEY_UNIT = env("ZCHEAP_MONEY_UNIT", "USD").strip() or "USD"
if ZCHEAP_MONEY_UNIT.lower() not in {"usd", "cny", "tokens"}:
    raise ImproperlyConfigured(
        f"ZCHEAP_MONEY_UNIT must be USD, CNY or tokens, not {ZCHEAP_MONEY_UNIT!r}"
    )
try:
    # CNY per USD, as set on the gateway (used only when the unit is CNY).
    ZCHEAP_USD_RATE = float(env("ZCHEAP_USD_RATE", "7.3") or "7.3")
except ValueError:
    raise ImproperlyConfigured("ZCHEAP_USD_RATE must be a number") from None
if not ZCHEAP_USD_RATE > 0:
    raise ImproperlyConfigured("ZCHEAP_USD_RATE must be above 0")
# The key's group on the gateway: its group ratio multiplies every price.
ZCHEAP_GROUP = env("ZCHEAP_GROUP", "default").strip() or "default"
# How often the worker refreshes every team's price list, balance and usage log (0: off).
SPEND_REFRESH_SECONDS = envint("SPEND_REFRESH_SECONDS", 600)
# The demo simulator's balance for each team (USD).
ZCHEAP_DEMO_BALANCE_USD = envint("ZCHEAP_DEMO_BALANCE_USD", 50)
