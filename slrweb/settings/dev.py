"""Local one-command run: SQLite, embedded Redis, anonymous translation allowed."""

from slrweb.settings.base import *  # noqa: F403
from slrweb.settings.base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
SLRWEB_ALLOW_ANONYMOUS = env_bool("SLRWEB_ALLOW_ANONYMOUS", True)
