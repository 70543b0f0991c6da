"""Production: everything from the environment, secure defaults, refuse to start half-configured.

The default settings of manage.py, slrweb.asgi and slrweb.celery (fail closed): a process
started without DJANGO_SETTINGS_MODULE lands here and stops with ImproperlyConfigured unless
DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS are set.

TLS is terminated in front of Daphne. Django trusts X-Forwarded-Proto only when
SLRWEB_TRUST_X_FORWARDED_PROTO=1 says a proxy that always sets it stands in front (the compose
file's Caddy does); a client reaching Daphne directly could otherwise claim HTTPS.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from slrweb.settings.base import *  # noqa: F403
from slrweb.settings.base import env_bool, env_int


def required_env(name: str, why: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. The production settings (slrweb.settings.prod, the default of "
            f"manage.py, ASGI and Celery) need it: {why}. For a local run use "
            "DJANGO_SETTINGS_MODULE=slrweb.settings.dev (what `make run` does)."
        )
    return value


DEBUG = False
SECRET_KEY = required_env(
    "DJANGO_SECRET_KEY", "a long random string that signs sessions and CSRF tokens "
    "(python -c 'import secrets; print(secrets.token_urlsafe(50))')")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 random characters long.")
ALLOWED_HOSTS = [
    host.strip()
    for host in required_env(
        "DJANGO_ALLOWED_HOSTS", "the comma-separated host names the site answers to"
    ).split(",")
    if host.strip()
]

# HTTPS only: redirect plain HTTP, tell browsers to never try it again (HSTS), secure cookies.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("SLRWEB_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Rate-limit counters (uploads, sign-ups: accounts.throttling) and other cached state must be
# shared by every web process, or each Daphne would count on its own: Django's Redis cache.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,  # noqa: F405
        "KEY_PREFIX": f"{REDIS_PREFIX}:cache",  # noqa: F405
    }
}
