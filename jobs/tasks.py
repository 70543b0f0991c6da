"""Celery tasks: each takes a job id and runs service calls (thin: the work is in jobs.services)."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from celery import chain, shared_task
from celery.exceptions import Ignore, SoftTimeLimitExceeded
from django.conf import settings

from jobs import services
from jobs.stages import STAGES


def _run(job_id: str, stage: str) -> str:
    try:
        ok = services.run_stage(job_id, stage)
    except SoftTimeLimitExceeded:
        job = services.Job.objects.get(pk=job_id)
        limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
        services.fail_job(job, f"The {stage} stage took longer than {limit // 60} minutes.", stage)
        ok = False
    if not ok:
        raise Ignore()  # stops the chain; the job row already says why
    return job_id


@shared_task(name="jobs.run_stages")
def run_stages(job_id: str, stages: list[str]) -> str:
    """Consecutive stages of one queue in one task: no broker round trip between them (probe
    and landmarks; recognition and translation, which load the landmarks once per job)."""
    for stage in stages:
        _run(job_id, stage)
    return job_id


def build_chain(job_id: Any, stage_names: list[str]) -> Any:
    """The Celery chain for the given stages, in order: one task per run of stages that share
    a queue, sent to that queue."""
    job_id = str(job_id)
    return chain(*[
        run_stages.si(job_id, list(names)).set(queue=queue)
        for queue, names in groupby(stage_names, key=lambda name: STAGES[name].queue)
    ])


@shared_task(name="jobs.expire_anonymous_jobs")
def expire_anonymous_jobs() -> int:
    """Delete the anonymous jobs nobody claimed within the retention (scheduled hourly)."""
    from jobs.anonymous import expire_anonymous_jobs as expire

    return expire()


@shared_task(name="jobs.recover_stale_jobs")
def recover_stale_jobs() -> list[str]:
    from jobs.recovery import recover_stale_jobs as recover

    return recover()
