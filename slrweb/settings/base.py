"""Settings shared by every environment; values come from environment variables."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from frontend.vendor import STATIC_PREFIX as VENDOR_STATIC_PREFIX
from frontend.vendor import VENDOR_DIR
from landmarks import JOB_SAMPLE_FPS
from slrweb.settings.storage import storages_from_env

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("SLRWEB_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "accounts",
    "registry",
    "jobs",
    "recognition",
    "translation",
    "annotation",
    "corpus",
    "webhooks",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "slrweb.security.ContentSecurityPolicyMiddleware",
    # Before anything reads the body: 413 above the route's upload limit (jobs.uploads).
    "jobs.uploads.UploadLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a login lockout into the lockout page
]

ROOT_URLCONF = "slrweb.urls"
ASGI_APPLICATION = "slrweb.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and tests share one file: wait for locks instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Axes first: it refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): after 5 wrong passwords for one username from one address, the
# 6th locks that pair for AXES_COOLOFF_TIME hours (the lockout page, HTTP 429, even for the right
# password). Locking the pair, not the username alone, means nobody can lock a victim out from
# elsewhere.
AXES_FAILURE_LIMIT = env_int("SLRWEB_LOGIN_FAILURE_LIMIT", 5) + 1
AXES_COOLOFF_TIME = float(os.environ.get("SLRWEB_LOGIN_COOLOFF_HOURS", 0.25))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failures are what matter; do not log every login's address
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# The browser's MediaPipe Holistic (privacy mode), fetched by `slrweb vendor` (frontend.vendor)
# into a git-ignored folder and served under /static/vendor/; absent until then.
STATICFILES_DIRS = [(VENDOR_STATIC_PREFIX, VENDOR_DIR)] if VENDOR_DIR.is_dir() else []
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("SLRWEB_MEDIA_ROOT", VAR_DIR / "media"))
# Videos ("default") and landmarks ("landmarks") on the file system or an S3-compatible store,
# chosen by SLRWEB_STORAGE (slrweb/settings/storage.py, README "Storage"); static: whitenoise.
STORAGES = storages_from_env(os.environ, "whitenoise.storage.CompressedStaticFilesStorage")

# Redis carries the Celery broker, results and the Channels layer. `slrweb run` starts an
# embedded Redis and sets REDIS_URL when none is given.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# Every key (Channels groups, Celery queues) lives under this prefix, so several installations
# (or test stacks) can share one Redis without taking each other's jobs.
REDIS_PREFIX = os.environ.get("SLRWEB_REDIS_PREFIX", "slrweb")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{REDIS_PREFIX}:channels"},
    }
}

# Celery (read with namespace="CELERY").
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_PREFIX}:celery:"}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "landmarks"
# Hard limits stop a runaway task; the soft limit lets the task mark its job failed first.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("SLRWEB_TASK_SOFT_TIME_LIMIT", 45 * 60)
CELERY_TASK_TIME_LIMIT = env_int("SLRWEB_TASK_TIME_LIMIT", 50 * 60)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = False  # interrupted jobs are recovered by jobs.recovery, not redelivery
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("SLRWEB_CELERY_EAGER", False)

# Product limits.
SLRWEB_MAX_UPLOAD_BYTES = env_int("SLRWEB_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
# A landmarks-only job's file (.pose/.npz), within SLRWEB_MAX_UPLOAD_BYTES (the route's body limit).
# 100 MB: a 5-minute 30 fps .pose (576 points, x/y/z/confidence float32 = 9.2 kB a frame).
SLRWEB_MAX_LANDMARKS_BYTES = env_int("SLRWEB_MAX_LANDMARKS_BYTES", 100 * 1024 * 1024)
SLRWEB_MAX_DURATION_SECONDS = float(os.environ.get("SLRWEB_MAX_DURATION_SECONDS", 10 * 60))
SLRWEB_ALLOW_ANONYMOUS = env_bool("SLRWEB_ALLOW_ANONYMOUS", False)
# Accounts (accounts.throttling, jobs.anonymous): rates are "N/s|m|h|d" (django-ninja's form).
SLRWEB_UPLOAD_RATE = os.environ.get("SLRWEB_UPLOAD_RATE", "120/h")  # per user (per address if anon)
SLRWEB_SIGNUP_RATE = os.environ.get("SLRWEB_SIGNUP_RATE", "20/h")  # sign-up posts per address
SLRWEB_API_TOKEN_DAYS = env_int("SLRWEB_API_TOKEN_DAYS", 90)  # default lifetime of a new token
# Anonymous jobs nobody claimed by signing up or logging in are deleted after this many hours.
SLRWEB_ANONYMOUS_RETENTION_HOURS = env_int("SLRWEB_ANONYMOUS_RETENTION_HOURS", 24)
# Share every job with annotators for review (otherwise only jobs whose owner consented).
SLRWEB_SHARE_JOBS_FOR_REVIEW = env_bool("SLRWEB_SHARE_JOBS_FOR_REVIEW", False)
SLRWEB_DEFAULT_LANGUAGE = os.environ.get("SLRWEB_DEFAULT_LANGUAGE", "ase")
SLRWEB_HOLISTIC_MODEL_COMPLEXITY = env_int("SLRWEB_HOLISTIC_MODEL_COMPLEXITY", 1)
# Frames per second Holistic reads from a video (0: every frame); the default and its evidence:
# landmarks.JOB_SAMPLE_FPS.
SLRWEB_EXTRACT_FPS = env_int("SLRWEB_EXTRACT_FPS", JOB_SAMPLE_FPS)
# A job's landmarks so far reach streaming recognition every this many seconds of video
# (jobs.stages). Streaming publishes a sign once two consecutive prefixes agree on it, so a shorter chunk
# publishes the first one sooner, at one spotting pass over at most ~8 s of landmarks per chunk:
# 1 s rather than 2 publishes the first letter of bench_streaming's 14.5 s spelled clip from a 4 s
# prefix instead of a 6 s one.
SLRWEB_STREAM_CHUNK_SECONDS = float(os.environ.get("SLRWEB_STREAM_CHUNK_SECONDS", 1.0))
# Processes the landmark extraction of jobs may use on one machine (jobs.capacity): one job alone
# shares its clip's segments with helpers up to this; 1 turns splitting off. Default: the CPUs.
SLRWEB_EXTRACT_WORKERS = env_int("SLRWEB_EXTRACT_WORKERS", len(os.sched_getaffinity(0)))
# Live mode (recognition.consumers): the page samples the camera at SLRWEB_LIVE_FPS (the jobs'
# rate), a session holds at most SLRWEB_LIVE_MAX_SECONDS, signs are looked for again after each
# SLRWEB_LIVE_STEP_SECONDS of new frames, in SLRWEB_LIVE_THREADS model threads per web process;
# frames may run ahead of the clock by SLRWEB_LIVE_CLOCK_SLACK_SECONDS (None: unchecked).
SLRWEB_LIVE_FPS = env_int("SLRWEB_LIVE_FPS", JOB_SAMPLE_FPS)
SLRWEB_LIVE_MAX_SECONDS = float(os.environ.get("SLRWEB_LIVE_MAX_SECONDS", 120))
SLRWEB_LIVE_STEP_SECONDS = float(os.environ.get("SLRWEB_LIVE_STEP_SECONDS", 0.5))
SLRWEB_LIVE_THREADS = env_int("SLRWEB_LIVE_THREADS", 2)
SLRWEB_LIVE_CLOCK_SLACK_SECONDS: float | None = 2.0
# Folder of the file system "landmarks" storage; None: MEDIA_ROOT/landmarks (jobs.files).
SLRWEB_LANDMARK_CACHE = Path(os.environ["SLRWEB_LANDMARK_CACHE"]) if os.environ.get(
    "SLRWEB_LANDMARK_CACHE") else None
SLRWEB_MODELS_DIR = Path(os.environ.get("SLRWEB_MODELS_DIR", BASE_DIR / "models"))
# This machine's copies of registered bundles (stored in the "default" storage), one folder per
# checksum, fetched on first use for torch (registry.bundle_store). Safe to delete when idle.
SLRWEB_BUNDLE_CACHE = Path(os.environ.get("SLRWEB_BUNDLE_CACHE", VAR_DIR / "bundle-cache"))
# A running stage that has not reported for this long is treated as lost (worker killed).
SLRWEB_STALE_JOB_SECONDS = env_int("SLRWEB_STALE_JOB_SECONDS", 120)
# Upload limits per route, enforced before the body is spooled (jobs.uploads): .eaf files,
# model bundle .zip files, and any other request body (forms, reference clips, JSON).
SLRWEB_MAX_EAF_BYTES = env_int("SLRWEB_MAX_EAF_BYTES", 5 * 1024 * 1024)
SLRWEB_MAX_BUNDLE_BYTES = env_int("SLRWEB_MAX_BUNDLE_BYTES", 500 * 1024 * 1024)
SLRWEB_MAX_REQUEST_BYTES = env_int("SLRWEB_MAX_REQUEST_BYTES", 50 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "jobs.uploads.LimitedUploadHandler",  # first: stops a file at its limit before it is kept
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# A job's WebSocket re-checks its viewer's access before each event and this often when quiet.
SLRWEB_WS_ACCESS_RECHECK_SECONDS = float(os.environ.get("SLRWEB_WS_ACCESS_RECHECK_SECONDS", 15))
# Content-Security-Policy of every page (slrweb.security); uploads get a stricter sandbox.
SLRWEB_CSP = os.environ.get("SLRWEB_CSP", (
    # 'wasm-unsafe-eval' compiles WebAssembly (privacy mode's Holistic) and allows no eval().
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SLRWEB_LOG_LEVEL", "INFO")},
}
CELERY_BEAT_SCHEDULE = {
    "recover-stale-jobs": {"task": "jobs.recover_stale_jobs", "schedule": 60.0},
    "expire-anonymous-jobs": {"task": "jobs.expire_anonymous_jobs", "schedule": 3600.0},
}
# Where inference runs: "auto" (CUDA when present, else CPU), "cuda" or "cpu".
SLRWEB_DEVICE = os.environ.get("SLRWEB_DEVICE", "auto")
SLRWEB_TORCH_THREADS = env_int("SLRWEB_TORCH_THREADS", 1)
