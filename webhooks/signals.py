"""Job end -> webhook deliveries: a post_save receiver on jobs.Job, so jobs imports nothing of
this app. The pipeline saves a job's final status with update_fields naming "status"
(jobs.services: _finish, fail_job); other saves of a finished job are ignored, and a repeated
final save creates no second delivery (one per webhook, job and event)."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from jobs.models import Job

log = logging.getLogger(__name__)
EVENT_OF_STATUS = {Job.Status.SUCCEEDED: "job.succeeded", Job.Status.FAILED: "job.failed"}


@receiver(post_save, sender=Job, dispatch_uid="webhooks.job_ended")
def job_ended(sender: Any, instance: Job, update_fields: Any = None, **kwargs: Any) -> None:
    event = EVENT_OF_STATUS.get(instance.status)  # type: ignore[call-overload]
    if event is None or instance.owner_id is None:
        return
    if update_fields is not None and "status" not in update_fields:
        return
    from webhooks.services import queue_job_event

    try:
        queue_job_event(instance, event)
    except Exception:  # noqa: BLE001 - a webhook must never break the job pipeline
        log.exception("could not queue %s webhooks of job %s", event, instance.pk)
