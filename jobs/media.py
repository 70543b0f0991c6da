"""Headers of every file the jobs API serves from user uploads (issue 11, item 2).

An upload is untrusted: whatever its bytes, a response must not let a browser run it on this
site's origin. So the content type is the probe's (a whitelisted video type, never the client's),
`nosniff` stops the browser guessing another, `Content-Disposition` names the file, and the
`sandbox` CSP makes the response a unique opaque origin with scripts off if it is opened directly.
"""

from __future__ import annotations

import logging
from typing import TypeVar

from django.http.response import HttpResponseBase

from jobs import files
from jobs.models import Job, Video

log = logging.getLogger(__name__)
Response = TypeVar("Response", bound=HttpResponseBase)

FALLBACK_TYPE = "application/octet-stream"
SUFFIXES = {
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "video/x-matroska": ".mkv",
    "video/x-msvideo": ".avi",
    "video/mpeg": ".mpg",
}
MEDIA_CSP = (
    "sandbox; default-src 'none'; media-src 'self'; img-src 'self'; style-src 'unsafe-inline'"
)


def allowed_video_types() -> frozenset[str]:
    from landmarks.decode import VIDEO_CONTAINERS

    return frozenset(VIDEO_CONTAINERS.values()) | {"video/webm"}


def served_video_type(video: Video) -> str:
    """The stored probe type when whitelisted; rows from before the probe set it are probed
    once now (and saved); anything else is served as opaque bytes."""
    if video.content_type in allowed_video_types():
        return video.content_type
    from landmarks.decode import InvalidVideoError, probe_upload

    try:
        with files.local_video(video) as path:
            _, content_type = probe_upload(path)
    except (InvalidVideoError, OSError):
        log.warning("video %s does not probe as an allowed video; served as bytes", video.pk)
        return FALLBACK_TYPE
    video.content_type = content_type
    video.save(update_fields=["content_type"])
    return content_type


def job_duration(job: Job) -> float | None:
    """The probed video's duration; for a landmarks-only job, what its landmarks cover."""
    if job.video is not None:
        return job.video.info.get("duration")  # type: ignore[no-any-return]
    return (job.result.get("landmarks") or {}).get("duration")  # type: ignore[no-any-return]


def video_suffix(content_type: str) -> str:
    return SUFFIXES.get(content_type, ".bin")


def protect(response: Response, filename: str, *, inline: bool) -> Response:
    """Add the headers that keep a served upload inert (filename must be ASCII-safe already)."""
    kind = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{kind}; filename="{filename}"'
    response["Content-Security-Policy"] = MEDIA_CSP
    response["X-Content-Type-Options"] = "nosniff"
    return response
