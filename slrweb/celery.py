"""The Celery app: configured from Django settings with the CELERY_ namespace."""

import os

from celery import Celery
from celery.signals import worker_process_init

# Fail closed: production settings unless the environment names others (make run, tests do).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrweb.settings.prod")

app = Celery("slrweb")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def warm_pool_process(**_: object) -> None:
    """Each pool process warms up for the queues its worker consumes (jobs.warm)."""
    from jobs.warm import warm_in_background

    queues = app.amqp.queues.consume_from
    warm_in_background(set(queues) if queues else None)
