"""The pipeline's stages: what each does to a job, in order, with its share of the progress bar.

A stage function takes the job and a `report(percent, **partial)` callback and writes its part
of `job.result`. Stages for recognition and translation are planned only when the job's
language has an active model for that task, so nothing pretends to recognise.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

from jobs import files
from jobs.models import Job, Video

log = logging.getLogger(__name__)


class Report(Protocol):
    """What a stage gets to tell the world: progress (saved) and stage events (streamed only)."""

    def __call__(self, percent: int, **partial: Any) -> None: ...

    def event(self, event: dict[str, Any]) -> None: ...


class StageError(Exception):
    """A stage failed for a reason the user should read (bad video, missing model...)."""


@dataclass(frozen=True)
class Stage:
    name: str
    queue: str
    weight: int
    run: Callable[[Job, Report], None]
    # Whether a new job of this language runs the stage (e.g. a model serves it); None: always.
    applies: Callable[[str], bool] | None = None


def run_probe(job: Job, report: Report) -> None:
    from landmarks.decode import InvalidVideoError, probe_upload

    video = _job_video(job)
    try:
        with files.local_video(video) as path:
            info, content_type = probe_upload(path)
    except FileNotFoundError as exc:
        raise StageError("The uploaded video is no longer stored; please upload it again.") from exc
    except InvalidVideoError as exc:
        raise StageError(str(exc)) from exc
    check_duration(info.duration)
    video.info = video_info_dict(info)
    video.content_type = content_type
    video.save(update_fields=["info", "content_type"])
    report(100)


def _job_video(job: Job) -> Video:
    """The job's video; a landmarks-only job has none (its stages never read one)."""
    if job.video is None:
        raise StageError("This job has no video: only its landmarks were uploaded.")
    return job.video


def check_duration(duration: float | None) -> None:
    limit = settings.SLRWEB_MAX_DURATION_SECONDS
    if duration is not None and duration > limit:
        raise StageError(
            f"The clip is {duration / 60:.1f} minutes long; the limit is {limit / 60:.0f} minutes."
        )
    if duration is not None and duration <= 0:
        raise StageError("The clip has no frames (zero length).")


def video_info_dict(info: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return {k: v for k, v in asdict(info).items() if isinstance(v, int | float | str | None)}


# While a video is read, the frames so far are handed on every SLRWEB_STREAM_CHUNK_SECONDS of
# video (settings, with the evidence for its default) to listeners the inference apps register
# (AppConfig.ready): a factory gets the job and its report and returns a callback taking the
# prefix LandmarkSequence, or None when it has nothing to do for this job.
ChunkCallback = Callable[[Any], None]
ChunkListener = Callable[[Job, Report], "ChunkCallback | None"]
CHUNK_LISTENERS: list[ChunkListener] = []


def register_chunk_listener(factory: ChunkListener) -> None:
    CHUNK_LISTENERS.append(factory)


def chunk_callback(job: Job, report: Report) -> ChunkCallback | None:
    """One callback feeding every listener of this job; a listener's failure is logged and
    never stops the extraction (the stages after it give the final result anyway)."""
    callbacks = [cb for factory in CHUNK_LISTENERS if (cb := factory(job, report)) is not None]
    if not callbacks:
        return None

    def on_chunk(prefix: Any) -> None:
        for callback in callbacks:
            try:
                callback(prefix)
            except Exception:  # noqa: BLE001 - streaming is a preview; the final result stands
                log.exception("chunk listener failed on job %s", job.id)

    return on_chunk


def run_landmarks(job: Job, report: Report) -> None:
    """Extract (or find in the cache) the job's landmarks. While this machine has spare
    capacity, helper processes share the clip's tracking segments (same result; jobs.capacity
    decides how many), and the ordered prefix still reaches the chunk listeners every
    SLRWEB_STREAM_CHUNK_SECONDS of video."""
    from jobs.capacity import ExtractionLease
    from landmarks.cache import LandmarkCache, extract_cached
    from registry.selectors import wants_hand_recovery

    report(0)  # tells the page (and bench timelines) that the stage started
    complexity = settings.SLRWEB_HOLISTIC_MODEL_COMPLEXITY
    video = _job_video(job)
    cache = LandmarkCache(files.landmark_entries())

    def on_frames(done: int, total: int | None) -> None:
        if total:
            report(min(99, int(100 * done / total)))

    # The video is fetched (a download on object storage) only when the cache misses.
    with ExtractionLease() as lease:
        sequence = extract_cached(
            lambda: files.local_video(video), cache, model_complexity=complexity,
            progress=on_frames, video_sha256=video.sha256, on_chunk=chunk_callback(job, report),
            chunk_seconds=settings.SLRWEB_STREAM_CHUNK_SECONDS,
            sample_fps=settings.SLRWEB_EXTRACT_FPS or None,
            hand_recovery=wants_hand_recovery(job.language),
            workers=lease.capacity, helpers_allowed=lease.helpers,
        )
    log.info("landmarks of job %s read by %s process(es)", job.id, sequence.meta.get("workers"))
    job.landmarks_file = sequence.meta["cache_name"]  # relative to the "landmarks" storage
    summary = sequence.summary()
    # A cache hit says someone uploaded the same bytes before: logged, never shown (issue 11).
    log.info("landmarks of job %s: cache %s", job.id, sequence.meta.get("cache", "miss"))
    summary["warnings"] = list(sequence.meta.get("warnings", []))
    job.result["landmarks"] = summary
    report(100, landmarks=summary)


def load_job_landmarks(job: Job) -> Any:
    """The LandmarkSequence the landmarks stage stored for this job (read once per process)."""
    if not job.landmarks_file:
        raise StageError("Landmarks were not extracted for this job.")
    storage = files.landmark_storage()
    # Keyed by the storage too: a name is relative, and tests switch storages and folders.
    where = f"{type(storage).__name__}:{id(storage)}:{getattr(storage, 'location', '')}"
    return _load_landmarks(where, job.landmarks_file)


@functools.lru_cache(maxsize=2)
def _load_landmarks(where: str, name: str) -> Any:
    return files.read_landmarks(name)


def active_predictor(job: Job, task: str) -> tuple[Any, Any]:
    """(model version, loaded predictor) serving `task` for the job's language, read per job so
    that an activation in the admin reaches running workers without a restart."""
    from registry.runtime import get_predictor
    from registry.selectors import active_model

    version = active_model(job.language, task)
    if version is None:
        raise StageError(f"No {task} model is active for sign language '{job.language}'.")
    return version, get_predictor(version)


STAGES: dict[str, Stage] = {
    "probe": Stage("probe", "landmarks", 5, run_probe),
    "landmarks": Stage("landmarks", "landmarks", 75, run_landmarks),
}


def register_stage(stage: Stage) -> None:
    """Inference apps add their stage at import (AppConfig.ready), keeping jobs free of ML code."""
    STAGES[stage.name] = stage


def plan_stages(language: str) -> list[str]:
    """The stages a new job runs, in registration order: each whose `applies` accepts the
    job's language (the inference apps ask the registry whether a model serves it)."""
    return [name for name, stage in STAGES.items()
            if stage.applies is None or stage.applies(language)]
