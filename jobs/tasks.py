"""Celery tasks: each takes a job id and runs one service call."""

from __future__ import annotations

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


@shared_task(name="jobs.probe_video")
def probe_video(job_id: str) -> str:
    return _run(job_id, "probe")


@shared_task(name="jobs.extract_landmarks")
def extract_landmarks(job_id: str) -> str:
    return _run(job_id, "landmarks")


@shared_task(name="jobs.run_inference")
def run_inference(job_id: str, stages: list[str]) -> str:
    """Recognition and translation share one task: the landmarks are loaded once per job."""
    for stage in stages:
        _run(job_id, stage)
    return job_id


def build_chain(job_id: Any, stage_names: list[str]) -> Any:
    """The Celery chain for the given stages, in order, each on its queue."""
    job_id = str(job_id)
    signatures = []
    inference = [n for n in stage_names if STAGES[n].queue == "inference"]
    for name in stage_names:
        if name == "probe":
            signatures.append(probe_video.si(job_id))
        elif name == "landmarks":
            signatures.append(extract_landmarks.si(job_id))
    if inference:
        signatures.append(run_inference.si(job_id, inference))
    return chain(*signatures)


@shared_task(name="jobs.expire_anonymous_jobs")
def expire_anonymous_jobs() -> int:
    """Delete the anonymous jobs nobody claimed within the retention (scheduled hourly)."""
    from jobs.anonymous import expire_anonymous_jobs as expire

    return expire()


@shared_task(name="jobs.recover_stale_jobs")
def recover_stale_jobs() -> list[str]:
    from jobs.recovery import recover_stale_jobs as recover

    return recover()
