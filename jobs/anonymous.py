"""Anonymous jobs: claimed by the account their browser session signs up or logs in to
(accounts.signals.session_logged_in), and deleted with their files when nobody claimed them
within SLRWEB_ANONYMOUS_RETENTION_HOURS."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.dispatch import receiver
from django.utils import timezone

from accounts.signals import session_logged_in
from jobs.models import Job

log = logging.getLogger(__name__)


def claim_anonymous_jobs(session_key: str, user: Any) -> int:
    """Give the jobs of an anonymous browser session to `user`; returns how many moved."""
    if not session_key or user is None or not user.is_authenticated:
        return 0
    return Job.objects.filter(owner__isnull=True, session_key=session_key).update(
        owner=user, session_key=""
    )


@receiver(session_logged_in, dispatch_uid="jobs.claim_anonymous_jobs")
def _claim_on_login(sender: Any, session_key: str, user: Any, **_: Any) -> None:
    claim_anonymous_jobs(session_key, user)


def expire_anonymous_jobs(now: datetime | None = None) -> int:
    """Delete anonymous jobs untouched for the retention period; returns how many went.

    Each goes through jobs.services.delete_job, which keeps a video (and landmarks) that another
    job still uses. `updated` rather than `created`: a job still running is never cut off.
    """
    from jobs.services import delete_job

    hours = settings.SLRWEB_ANONYMOUS_RETENTION_HOURS
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    stale = Job.objects.filter(owner__isnull=True, updated__lt=cutoff).select_related("video")
    count = 0
    for job in list(stale):  # a list: rows are deleted while we go
        delete_job(job)
        count += 1
    if count:
        log.info("deleted %d unclaimed anonymous jobs older than %d hours", count, hours)
    return count
