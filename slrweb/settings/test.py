"""Test settings: the real services (Redis, Postgres when DATABASE_URL is set)."""

import os

from slrweb.settings.base import *  # noqa: F403
from slrweb.settings.base import env_bool, env_int
from slrweb.settings.storage import storages_from_env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SLRWEB_ALLOW_ANONYMOUS = env_bool("SLRWEB_ALLOW_ANONYMOUS", False)
STORAGES = storages_from_env(os.environ, "django.contrib.staticfiles.storage.StaticFilesStorage")
# No CSP header under test: Playwright evaluates its wait predicates as strings, which
# script-src 'self' forbids. The pages' own code is checked against the policy by running the
# browser tests with SLRWEB_CSP set to it plus 'unsafe-eval'.
SLRWEB_CSP = os.environ.get("SLRWEB_CSP", "")

# Tests compare extracted frames with the videos' own frames (counts, timestamps, stored
# landmarks), so they read every frame unless told otherwise; tests/landmarks covers sampling.
SLRWEB_EXTRACT_FPS = env_int("SLRWEB_EXTRACT_FPS", 0)
