"""Finished jobs for page and download tests, built from real files without running the pipeline.

`make_finished_job` stores a real video the way jobs.storage does (in the "default" storage)
and, when given, real landmarks as the landmarks stage does (an npz in the "landmarks"
storage, its relative name on the job), then creates a succeeded Job. Whatever STORAGES says
is used, so a test can run them on InMemoryStorage. The pipeline itself is exercised by the
integration and browser tests.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from jobs import files
from jobs.models import Job, Video
from jobs.stages import video_info_dict
from landmarks.decode import probe_video
from landmarks.formats.npz import save_npz
from landmarks.sequence import LandmarkSequence


def store_video(source: Path) -> Video:
    """Store `source` in the video storage by its sha256 and create (or reuse) its Video row."""
    data = Path(source).read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    existing = Video.objects.filter(sha256=sha).first()
    if existing is not None:
        return existing
    relative = f"videos/{sha[:2]}/{sha}{Path(source).suffix.lower()}"
    name = files.save_local(files.video_storage(), relative, _copy(Path(source)))
    return Video.objects.create(
        sha256=sha, file=name, size=len(data),
        content_type="video/mp4", info=video_info_dict(probe_video(source)),
    )


def _copy(source: Path) -> Path:
    """A temporary copy of `source` (a FileSystemStorage moves what it saves)."""
    fd, target = tempfile.mkstemp(suffix=source.suffix)
    os.close(fd)
    shutil.copyfile(source, target)
    return Path(target)


def store_landmarks(sequence: LandmarkSequence, label: str) -> str:
    """Save `sequence` in the landmarks storage; returns its name there (what a job holds).

    The name is content-addressed like the cache's ("ab/<sha256>.npz"), so two tests' different
    sequences never share a name."""
    fd, temporary = tempfile.mkstemp(suffix=".npz")
    os.close(fd)
    try:
        save_npz(sequence, temporary)
        digest = hashlib.sha256(Path(temporary).read_bytes() + label.encode()).hexdigest()
        return files.landmark_entries().write(
            f"{digest[:2]}/{digest}.npz", lambda path: shutil.copyfile(temporary, path)
        )
    finally:
        Path(temporary).unlink(missing_ok=True)


def make_finished_job(
    video_source: Path,
    *,
    owner: Any = None,
    session_key: str = "",
    landmarks: LandmarkSequence | None = None,
    result: dict[str, Any] | None = None,
    language: str = "ase",
    name: str | None = None,
) -> Job:
    """A succeeded job of `video_source`, with stored `landmarks` when given."""
    video = store_video(video_source)
    landmarks_file = ""
    full_result = dict(result or {})
    if landmarks is not None:
        landmarks_file = store_landmarks(landmarks, video.sha256)
        full_result.setdefault("landmarks", landmarks.summary())
    return Job.objects.create(
        owner=owner, session_key=session_key, video=video, language=language,
        original_name=name or Path(video_source).name,
        status=Job.Status.SUCCEEDED, progress=100, result=full_result,
        landmarks_file=landmarks_file,
        stages=[{"name": n, "status": "done", "percent": 100} for n in ("probe", "landmarks")],
    )
