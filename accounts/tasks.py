"""Celery tasks of the accounts app (scheduled by CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="accounts.expire_anonymous_jobs")
def expire_anonymous_jobs() -> int:
    from accounts.anonymous import expire_anonymous_jobs as expire

    return expire()
