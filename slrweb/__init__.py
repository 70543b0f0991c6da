"""slrweb Django project.

The Celery app is imported here so that `shared_task`s sent from the web process use it (and
its Redis broker) rather than Celery's default app.
"""

import os

# What the environment said before slrweb.celery set its fail-closed default (prod): the
# `slrweb` console commands run locally with dev settings unless the environment named others
# (slrweb.django_cli.settings_module).
SETTINGS_FROM_ENVIRONMENT = os.environ.get("DJANGO_SETTINGS_MODULE")

from slrweb.celery import app as celery_app  # noqa: E402

__all__ = ["SETTINGS_FROM_ENVIRONMENT", "celery_app"]
