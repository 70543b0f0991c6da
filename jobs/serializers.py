"""The one JSON shape of a job, used by the API, the WebSocket and the page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from jobs.models import Job


def stage_eta_seconds(stage: dict[str, Any]) -> float | None:
    """Linear estimate of the time left in a running stage from its start and percent."""
    started, percent = stage.get("started"), stage.get("percent", 0)
    if stage.get("status") != "running" or not started or not percent:
        return None
    elapsed = (timezone.now() - datetime.fromisoformat(started)).total_seconds()
    return round(max(0.0, elapsed * (100 - percent) / percent), 1)


# Result keys that described the shared landmark cache (whether someone had uploaded the same
# bytes before); jobs stored before issue 11 may still hold them.
PRIVATE_LANDMARK_KEYS = frozenset({"cached", "cache", "cache_key", "video_sha256"})


def public_result(result: dict[str, Any]) -> dict[str, Any]:
    """The job's result without anything that reveals other users' uploads."""
    landmarks = result.get("landmarks")
    if not isinstance(landmarks, dict):
        return result
    clean = {k: v for k, v in landmarks.items() if k not in PRIVATE_LANDMARK_KEYS}
    return {**result, "landmarks": clean}


def job_to_dict(job: Job) -> dict[str, Any]:
    """The job as its viewers see it: the uploader's own file name, never the content hash."""
    return {
        "id": str(job.id),
        "status": job.status,
        "progress": job.progress,
        "language": job.language,
        "stages": [
            {
                "name": s["name"],
                "status": s["status"],
                "percent": s.get("percent", 0),
                "eta_seconds": stage_eta_seconds(s),
            }
            for s in job.stages
        ],
        "error": job.error or None,
        "result": public_result(job.result),
        # None for a landmarks-only job (privacy mode): there is no video to show or fetch.
        "video": None if job.video is None else {
            "name": job.original_name,
            "size": job.video.size,
            "url": f"/api/v1/jobs/{job.id}/video",
            **{k: job.video.info.get(k) for k in ("duration", "fps", "width", "height")},
        },
        "source": "video" if job.video is not None else "landmarks",
        "name": job.original_name,
        "created": job.created.isoformat(),
        "updated": job.updated.isoformat(),
    }
