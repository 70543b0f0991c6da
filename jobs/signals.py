"""Signal handlers of jobs: worker start-up recovery, and a user's files going with the user."""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import worker_ready
from django.conf import settings
from django.db.models.signals import pre_delete
from django.dispatch import receiver

log = logging.getLogger(__name__)


@worker_ready.connect
def recover_on_start(**_: Any) -> None:
    """A worker that starts recovers jobs its dead predecessor left running."""
    from jobs.recovery import recover_stale_jobs

    recovered = recover_stale_jobs()
    if recovered:
        log.warning("recovered %d interrupted job(s): %s", len(recovered), recovered)


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="jobs.delete_users_jobs")
def delete_users_jobs(sender: Any, instance: Any, **_: Any) -> None:
    """Deleting a user deletes their jobs through jobs.services.delete_job, so their videos and
    landmarks go too unless another user's job shares them (de-duplication). The database
    cascade alone would leave the files (and the Video rows) behind."""
    from jobs.models import Job
    from jobs.services import delete_job

    for job in Job.objects.filter(owner=instance).select_related("video"):
        delete_job(job)
