"""Recovering jobs whose worker died mid-stage (killed, out of memory, machine restart).

Tasks are acknowledged on receipt, so a killed worker's message is gone; the job row is the
record. A running job whose heartbeat is older than SLRWEB_STALE_JOB_SECONDS is re-queued
from its first unfinished stage, at most MAX_ATTEMPTS times, then failed with a reason.
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jobs.models import Job

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 2


def recover_stale_jobs(stale_after: float | None = None) -> list[str]:
    """Re-queue or fail every running job that stopped reporting; return their ids."""
    from jobs.services import enqueue, fail_job

    seconds = settings.SLRWEB_STALE_JOB_SECONDS if stale_after is None else stale_after
    cutoff = timezone.now() - timedelta(seconds=seconds)
    recovered = []
    with transaction.atomic():
        stale = list(
            # of=self: the video join is outer (landmarks-only jobs have none), and PostgreSQL
            # refuses FOR UPDATE on the nullable side of an outer join.
            Job.objects.select_for_update(of=("self",))
            .filter(status=Job.Status.RUNNING, heartbeat__lt=cutoff)
            .select_related("video")
        )
        for job in stale:
            recovered.append(str(job.id))
            if job.attempts >= MAX_ATTEMPTS:
                fail_job(job, "The worker processing this job stopped repeatedly; giving up.")
                continue
            first_unfinished = next(s["name"] for s in job.stages if s["status"] != "done")
            for s in job.stages:
                if s["status"] == "running":
                    s["status"] = "pending"
            job.attempts += 1
            job.heartbeat = timezone.now()
            job.save(update_fields=["stages", "attempts", "heartbeat", "updated"])
            log.warning("re-queueing job %s from stage %s", job.id, first_unfinished)
            transaction.on_commit(functools.partial(enqueue, job, first_unfinished))
    return recovered
