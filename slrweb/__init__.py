"""slrweb Django project. The Celery app is imported lazily by `celery -A slrweb`."""
