"""Job operations: create from an upload, run a stage, report progress, finish or fail.

These functions own every database write of a job and every event sent about it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jobs import events, files, storage
from jobs.models import Job, Video
from jobs.serializers import job_to_dict, stage_eta_seconds
from jobs.stages import STAGES, StageError, check_duration, plan_stages, video_info_dict

log = logging.getLogger(__name__)


class UploadRejected(ValueError):
    """The upload cannot become a job; the message is shown to the user (HTTP 4xx)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def create_job(
    *,
    chunks: Iterable[bytes],
    filename: str,
    owner: Any | None,
    session_key: str = "",
    language: str | None = None,
) -> Job:
    """Store and probe an upload, then queue its pipeline. Raises UploadRejected.

    The client's Content-Type is not taken: the probe decides what the file is and how it is
    served. The file name is this job's own; a Video shared by de-duplication keeps none.
    """
    stored = _store_probed(chunks, filename)
    language = language or settings.SLRWEB_DEFAULT_LANGUAGE
    with transaction.atomic():
        # get_or_create, not check-then-create: two uploads of the same bytes at once both
        # find no row, and the second insert would hit the unique hash (a 500 on PostgreSQL).
        video, _ = Video.objects.get_or_create(sha256=stored.sha256, defaults={
            "file": stored.name, "size": stored.size, "content_type": stored.content_type,
            "info": video_info_dict(stored.info),
        })
        if stored.wrote and video.file != stored.name:  # a racing upload's copy is not used
            transaction.on_commit(lambda: storage.delete_stored(stored.name))
        job = Job.objects.create(
            owner=owner,
            session_key=session_key if owner is None else "",
            video=video,
            original_name=filename[:255],
            language=language,
            stages=[
                {"name": n, "status": "pending", "percent": 0} for n in plan_stages(language)
            ],
        )
        transaction.on_commit(lambda: enqueue(job))
    return job


def create_landmarks_job(
    *,
    chunks: Iterable[bytes],
    filename: str,
    owner: Any | None,
    session_key: str = "",
    language: str | None = None,
) -> Job:
    """A job from an uploaded landmark file (no video): checked, stored as the job's
    landmarks_file, then only the inference stages run. Raises UploadRejected."""
    from jobs import landmark_uploads as lu

    try:
        suffix = lu.landmark_suffix(filename)
        with storage.spool_upload(chunks, suffix, settings.SLRWEB_MAX_LANDMARKS_BYTES) as upload:
            if upload.size == 0:
                raise UploadRejected("The file is empty.")
            sequence = lu.clean_sequence(lu.read_uploaded(upload.path, suffix), suffix)
    except storage.UploadTooLarge as exc:
        raise UploadRejected(str(exc), status=413) from exc
    except lu.InvalidLandmarks as exc:
        raise UploadRejected(str(exc)) from exc
    language = language or settings.SLRWEB_DEFAULT_LANGUAGE
    summary = {**sequence.summary(), "warnings": [], "uploaded": True}
    # The landmarks stage is done by the upload; probe (a video's) has nothing to do.
    stages: list[dict[str, Any]] = [{"name": "landmarks", "status": "done", "percent": 100}] + [
        {"name": n, "status": "pending", "percent": 0}
        for n in plan_stages(language) if n not in ("probe", "landmarks")
    ]
    name = lu.store_sequence(sequence)
    with transaction.atomic():
        job = Job.objects.create(
            owner=owner, session_key=session_key if owner is None else "", video=None,
            original_name=filename[:255], language=language, stages=stages,
            landmarks_file=name, result={"landmarks": summary},
        )
        if len(stages) == 1:  # no model serves the language: the landmarks are the result
            _finish(job)
        else:
            job.progress = overall_progress(job)
            job.save(update_fields=["progress"])
            transaction.on_commit(lambda: enqueue(job, from_stage=stages[1]["name"]))
    return job


@dataclass(frozen=True)
class _StoredUpload:
    name: str  # in the video storage
    wrote: bool  # this upload wrote it (else the same bytes were stored already)
    sha256: str
    size: int
    info: Any  # the probe's VideoInfo
    content_type: str


def _store_probed(chunks: Iterable[bytes], filename: str) -> _StoredUpload:
    """Spool, probe and store an upload. Nothing reaches the storage unless the probe accepts
    it."""
    from landmarks.decode import InvalidVideoError, probe_upload

    try:
        with storage.spool_upload(
            chunks, storage.safe_suffix(filename), settings.SLRWEB_MAX_UPLOAD_BYTES
        ) as upload:
            if upload.size == 0:
                raise UploadRejected("The file is empty.")
            info, content_type = probe_upload(upload.path)
            check_duration(info.duration)
            name, wrote = storage.save_video(upload)
    except storage.UploadTooLarge as exc:
        raise UploadRejected(str(exc), status=413) from exc
    except (InvalidVideoError, StageError) as exc:
        raise UploadRejected(str(exc)) from exc
    return _StoredUpload(name, wrote, upload.sha256, upload.size, info, content_type)


def enqueue(job: Job, from_stage: str | None = None) -> None:
    """Queue the job's remaining stages as one Celery chain."""
    from jobs.tasks import build_chain

    names = [s["name"] for s in job.stages]
    start = names.index(from_stage) if from_stage else 0
    build_chain(job.id, names[start:]).apply_async()


def overall_progress(job: Job) -> int:
    total = sum(STAGES[s["name"]].weight for s in job.stages) or 1
    done = sum(STAGES[s["name"]].weight * s.get("percent", 0) for s in job.stages)
    return min(100, round(done / total))


def run_stage(job_id: Any, name: str) -> bool:
    """Run one stage of a job; return False when the job cannot go on (failed or gone)."""
    job = Job.objects.select_related("video").filter(pk=job_id).first()
    if job is None or job.status == Job.Status.FAILED:
        return False
    stage = job.stage(name)
    if stage["status"] == "done":  # a recovered job re-queued from an earlier stage
        return True
    _mark_stage(job, name, status="running", started=timezone.now().isoformat())
    reporter = ProgressReporter(job, name)
    try:
        STAGES[name].run(job, reporter)
    except StageError as exc:
        fail_job(job, str(exc), stage=name)
        return False
    except Exception as exc:  # noqa: BLE001 - the user gets a reason, the log the traceback
        log.exception("stage %s of job %s crashed", name, job.id)
        fail_job(job, f"The {name} stage failed unexpectedly: {exc}", stage=name)
        return False
    _mark_stage(job, name, status="done", percent=100, finished=timezone.now().isoformat())
    if all(s["status"] == "done" for s in job.stages):
        _finish(job)
    return True


class ProgressReporter:
    """Callable handed to a stage: `report(percent, **partial)` saves and publishes progress.

    Writes are throttled so that a per-frame callback stays cheap: only whole-percent changes,
    and at most one every MIN_INTERVAL seconds. The start (0) and end (100) of a stage and a
    report carrying a partial result are always written. Each write is a database save and a
    published event in the process that extracts, so on a clip of a few hundred frames the
    throttle keeps ~100 writes from competing with extraction for the CPU.
    """

    MIN_INTERVAL = 0.25

    def __init__(self, job: Job, stage: str) -> None:
        self.job, self.stage, self.last, self.written_at = job, stage, -1, float("-inf")

    def __call__(self, percent: int, **partial: Any) -> None:
        percent = max(0, min(100, int(percent)))
        if percent == self.last and not partial:
            return
        now = time.monotonic()
        if not partial and 0 < percent < 100 and now - self.written_at < self.MIN_INTERVAL:
            return
        self.last, self.written_at = percent, now
        _mark_stage(self.job, self.stage, percent=percent)
        event = {"type": "progress", "stage": self.stage, "percent": percent,
                 "progress": self.job.progress, "eta_seconds": _eta(self.job, self.stage)}
        if partial:
            event["partial"] = partial
        events.publish(self.job.id, event)

    def event(self, event: dict[str, Any]) -> None:
        """Publish a stage-specific event (e.g. a decoded token) without a database write."""
        events.publish(self.job.id, event)


def _eta(job: Job, stage: str) -> float | None:
    return stage_eta_seconds(job.stage(stage))


def _mark_stage(job: Job, name: str, **changes: Any) -> None:
    job.stage(name).update(changes)
    job.progress = overall_progress(job)
    job.heartbeat = timezone.now()
    if job.status == Job.Status.QUEUED:
        job.status = Job.Status.RUNNING
    job.save(update_fields=["stages", "progress", "heartbeat", "status", "result",
                            "landmarks_file", "updated"])


def _finish(job: Job) -> None:
    job.status = Job.Status.SUCCEEDED
    job.progress = 100
    job.save(update_fields=["status", "progress", "updated"])
    events.publish(job.id, {"type": "result", **job_to_dict(job)})


def fail_job(job: Job, message: str, stage: str | None = None) -> None:
    """Mark the job failed with a reason and tell its watchers; idempotent."""
    job.refresh_from_db()
    if stage:
        job.stage(stage)["status"] = "failed"
    for s in job.stages:
        if s["status"] == "running":
            s["status"] = "failed"
    job.status = Job.Status.FAILED
    job.error = message
    job.save(update_fields=["status", "error", "stages", "updated"])
    events.publish(job.id, {"type": "error", "message": message})


def delete_job(job: Job) -> None:
    """Delete a job; its landmarks go too when no other job uses them, and its video when no
    other job uses it (de-duplication shares both between users' jobs)."""
    video = job.video
    landmarks_file = job.landmarks_file
    job.delete()
    if landmarks_file and not Job.objects.filter(landmarks_file=landmarks_file).exists():
        files.delete_file(files.landmark_storage(), landmarks_file)
    if video is not None and not video.jobs.exists():  # None: a landmarks-only job
        storage.delete_stored(video.file)
        video.delete()
