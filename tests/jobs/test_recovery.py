"""Recovering jobs whose worker went silent (jobs.recovery), on the database CI uses.

Landmarks-only jobs have no video, so the video join is an outer one; PostgreSQL refuses
FOR UPDATE on the nullable side of an outer join unless the lock names the job table only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from jobs.models import Job
from jobs.recovery import MAX_ATTEMPTS, recover_stale_jobs
from tests.support.jobs import make_finished_job

pytestmark = pytest.mark.django_db


def running(job: Job, *, silent_for: float, attempts: int = 0) -> Job:
    job.status = Job.Status.RUNNING
    job.stages = [{"name": "probe", "status": "done", "percent": 100},
                  {"name": "landmarks", "status": "running", "percent": 40}]
    job.attempts = attempts
    job.save()
    Job.objects.filter(pk=job.pk).update(heartbeat=timezone.now() - timedelta(seconds=silent_for))
    return job


def test_silent_jobs_with_and_without_a_video_are_requeued(settings, tmp_path: Path,
                                                           pose_test_video: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    with_video = running(make_finished_job(pose_test_video), silent_for=600)
    without = make_finished_job(pose_test_video)
    Job.objects.filter(pk=without.pk).update(video=None)
    without = running(Job.objects.get(pk=without.pk), silent_for=600)
    fresh = running(make_finished_job(pose_test_video), silent_for=0)
    recovered = set(recover_stale_jobs(stale_after=60))
    assert recovered == {str(with_video.id), str(without.id)}
    for job in (with_video, without):
        job.refresh_from_db()
        assert job.attempts == 1 and job.status == Job.Status.RUNNING
        assert [s["status"] for s in job.stages] == ["done", "pending"]
    fresh.refresh_from_db()
    assert fresh.attempts == 0


def test_a_job_that_keeps_stopping_fails_with_a_reason(settings, tmp_path: Path,
                                                       pose_test_video: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    job = running(make_finished_job(pose_test_video), silent_for=600, attempts=MAX_ATTEMPTS)
    recover_stale_jobs(stale_after=60)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "stopped repeatedly" in job.error
