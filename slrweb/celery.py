"""The Celery app: configured from Django settings with the CELERY_ namespace."""

import os

from celery import Celery

# Fail closed: production settings unless the environment names others (make run, tests do).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrweb.settings.prod")

app = Celery("slrweb")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
