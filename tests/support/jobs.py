"""Finished jobs for page and download tests, built from real files without running the pipeline.

`make_finished_job` stores a real video the way jobs.storage does and, when given, real
landmarks as the landmarks stage does (npz in the landmark cache folder), then creates a
succeeded Job. The pipeline itself is exercised by the integration and browser tests.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings

from jobs.models import Job, Video
from jobs.stages import video_info_dict
from landmarks.decode import probe_video
from landmarks.formats.npz import save_npz
from landmarks.sequence import LandmarkSequence


def store_video(source: Path) -> Video:
    """Copy `source` under MEDIA_ROOT by its sha256 and create (or reuse) its Video row."""
    data = Path(source).read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    existing = Video.objects.filter(sha256=sha).first()
    if existing is not None:
        return existing
    relative = f"videos/{sha[:2]}/{sha}{Path(source).suffix.lower()}"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return Video.objects.create(
        sha256=sha, file=relative, size=len(data),
        content_type="video/mp4", info=video_info_dict(probe_video(target)),
    )


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
        folder = Path(settings.SLRWEB_LANDMARK_CACHE)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{video.sha256}-test.npz"
        save_npz(landmarks, path)
        landmarks_file = str(path)
        full_result.setdefault("landmarks", landmarks.summary())
    return Job.objects.create(
        owner=owner, session_key=session_key, video=video, language=language,
        original_name=name or Path(video_source).name,
        status=Job.Status.SUCCEEDED, progress=100, result=full_result,
        landmarks_file=landmarks_file,
        stages=[{"name": n, "status": "done", "percent": 100} for n in ("probe", "landmarks")],
    )
