"""slrweb Django project.

The Celery app is imported here so that `shared_task`s sent from the web process use it (and
its Redis broker) rather than Celery's default app.
"""

from slrweb.celery import app as celery_app

__all__ = ["celery_app"]
