"""HTTP API of jobs: create from an upload, read, list, delete, fetch the video and landmarks."""

from __future__ import annotations

import gzip
import json
import re
import uuid
from collections.abc import Iterator
from typing import IO

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router
from ninja.errors import HttpError
from ninja.files import UploadedFile

from accounts.api_auth import API_AUTH, Requester
from accounts.throttling import upload_throttle
from jobs import exports, files, media, services
from jobs.access import can_delete_job, can_view_job, visible_jobs
from jobs.models import Job
from jobs.schemas import ErrorOut, JobOut
from jobs.serializers import job_to_dict
from jobs.stages import StageError, load_job_landmarks
from registry.job_language import LanguageErrorOut, UnknownLanguage, job_language

router = Router(tags=["jobs"], auth=API_AUTH)


def requester(request: HttpRequest) -> Requester:
    return request.auth  # type: ignore[attr-defined, no-any-return]


def get_visible_job(request: HttpRequest, job_id: uuid.UUID) -> Job:
    who = requester(request)
    job = get_object_or_404(Job.objects.select_related("video"), pk=job_id)
    if not can_view_job(who.user, who.session_key, job):
        raise HttpError(404, "No such job.")  # 404, not 403: do not reveal that it exists
    return job


@router.post(
    "/jobs/",
    response={201: JobOut, 400: LanguageErrorOut | ErrorOut, 413: ErrorOut, 429: ErrorOut},
    throttle=upload_throttle(),  # per user: SLRWEB_UPLOAD_RATE
)
def create_job(
    request: HttpRequest,
    video: File[UploadedFile | None] = None,  # type: ignore[type-arg]
    landmarks: File[UploadedFile | None] = None,  # type: ignore[type-arg]
    language: Form[str] = "",
) -> tuple[int, dict]:
    """Start a job from a video (multipart field `video`), or from landmarks alone (field
    `landmarks`: a .pose or .npz file; privacy mode, the video never leaves the user)."""
    who = requester(request)
    if (video is None) == (landmarks is None):
        return 400, {"detail": "Send either a video (field `video`) or a landmarks file "
                               "(field `landmarks`), not both and not neither."}
    try:  # the page's language picker makes the same check (registry.job_language)
        language = job_language(language)
    except UnknownLanguage as exc:
        return 400, {"detail": str(exc), "languages": exc.valid}
    upload = video or landmarks
    assert upload is not None
    make = services.create_job if video is not None else services.create_landmarks_job
    try:
        job = make(
            chunks=upload.chunks(),
            filename=upload.name or "upload",
            owner=who.user,
            session_key=who.session_key,
            language=language or None,
        )
    except services.UploadRejected as exc:
        return exc.status, {"detail": str(exc)}
    return 201, job_to_dict(job)


@router.get("/jobs/", response=list[JobOut])
def list_jobs(request: HttpRequest) -> list[dict]:
    who = requester(request)
    jobs = visible_jobs(who.user, who.session_key).select_related("video")[:100]
    return [job_to_dict(job) for job in jobs]


@router.get("/jobs/{job_id}/", response={200: JobOut, 404: ErrorOut})
def get_job(request: HttpRequest, job_id: uuid.UUID) -> dict:
    return job_to_dict(get_visible_job(request, job_id))


@router.delete("/jobs/{job_id}/", response={204: None, 404: ErrorOut})
def delete_job(request: HttpRequest, job_id: uuid.UUID) -> tuple[int, None]:
    job, who = get_visible_job(request, job_id), requester(request)
    if not can_delete_job(who.user, who.session_key, job):
        raise HttpError(403, "Only the owner of a job can delete it.")
    services.delete_job(job)
    return 204, None


@router.get("/jobs/{job_id}/video", response={200: None, 206: None, 404: ErrorOut})
def job_video(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse | StreamingHttpResponse:
    """The uploaded clip; honours `Range` so that a <video> element can seek in it.

    Served with the type the probe found (a whitelisted video type), inline but sandboxed."""
    job = get_visible_job(request, job_id)
    if job.video is None:
        raise HttpError(404, NO_VIDEO)
    content_type = media.served_video_type(job.video)
    try:
        response = ranged_file_response(request, job.video.file, content_type)
    except FileNotFoundError as exc:
        raise HttpError(404, "The video is no longer stored.") from exc
    name = exports.download_name(job.original_name, media.video_suffix(content_type), "video")
    return media.protect(response, name, inline=True)


NO_VIDEO = "This job has no video: only its landmarks were uploaded."
RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def ranged_file_response(
    request: HttpRequest, name: str, content_type: str | None
) -> HttpResponse | StreamingHttpResponse:
    """The whole file (200), or the one byte range asked for (206, or 416 when unsatisfiable).

    Browsers seek in a video by asking for byte ranges; without them Chrome cannot seek in a
    clip it has not fully buffered. Multi-range requests get the whole file, as RFC 9110 allows.
    `name` is the video's name in the default storage (a local folder or an object store).
    """
    storage = files.video_storage()
    size = storage.size(name)
    match = RANGE_RE.match(request.headers.get("Range", "").strip())
    if not match or match.groups() == ("", ""):
        whole = FileResponse(storage.open(name, "rb"), content_type=content_type)
        whole["Accept-Ranges"] = "bytes"
        return whole
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    else:  # "bytes=-N": the last N bytes
        start, end = max(0, size - int(last)), size - 1
    if start >= size or start > end:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    response = StreamingHttpResponse(
        _read_range(storage.open(name, "rb"), start, end), status=206, content_type=content_type
    )
    response["Content-Length"] = str(end - start + 1)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response


def _read_range(
    handle: IO[bytes], start: int, end: int, chunk: int = 256 * 1024
) -> Iterator[bytes]:
    with handle:
        handle.seek(start)
        left = end - start + 1
        while left > 0:
            data = handle.read(min(chunk, left))
            if not data:
                return
            left -= len(data)
            yield data


# Downloads and page data (issue 7). Each reads what the pipeline stored; none changes the job.

LANDMARK_FORMATS = {"npz": "application/octet-stream", "pose": "application/octet-stream"}


def _attachment(body: bytes, content_type: str, filename: str) -> HttpResponse:
    return media.protect(HttpResponse(body, content_type=content_type), filename, inline=False)


def _stored_landmarks(job: Job):  # type: ignore[no-untyped-def]
    try:
        return load_job_landmarks(job)
    except (StageError, FileNotFoundError, OSError) as exc:
        raise HttpError(404, "This job has no stored landmarks.") from exc


@router.get("/jobs/{job_id}/landmarks.{fmt}", response={200: None, 404: ErrorOut})
def job_landmarks_file(request: HttpRequest, job_id: uuid.UUID, fmt: str) -> HttpResponse:
    """The extracted landmarks as `npz` (our storage format) or `pose` (pose-format)."""
    job = get_visible_job(request, job_id)
    if fmt not in LANDMARK_FORMATS:
        raise HttpError(404, f"Unknown landmark format; use one of {', '.join(LANDMARK_FORMATS)}.")
    name = exports.download_name(job.original_name, f"-landmarks.{fmt}")
    return _attachment(
        exports.landmarks_bytes(_stored_landmarks(job), f".{fmt}"), LANDMARK_FORMATS[fmt], name
    )


@router.get("/jobs/{job_id}/overlay.json", response={200: None, 404: ErrorOut})
def job_overlay(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """Skeleton points per frame with their timestamps, for drawing over the video."""
    job = get_visible_job(request, job_id)
    body = json.dumps(exports.overlay_landmarks(_stored_landmarks(job)), separators=(",", ":"))
    data = body.encode()
    response = HttpResponse(content_type="application/json")
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        data = gzip.compress(data, compresslevel=5)  # ~5x smaller: these are long integer lists
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    response.content = data
    return response


@router.get("/jobs/{job_id}/result.json", response={200: None, 404: ErrorOut})
def job_result_file(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """The job JSON (status, stages, result with model names) as a file."""
    job = get_visible_job(request, job_id)
    body = json.dumps(job_to_dict(job), indent=2, ensure_ascii=False).encode()
    name = exports.download_name(job.original_name, "-result.json")
    return _attachment(body, "application/json", name)


@router.get("/jobs/{job_id}/subtitles.vtt", response={200: None, 404: ErrorOut})
def job_subtitles(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """WebVTT subtitles: a cue per recognised sign and one with the translation.

    `?download=1` adds Content-Disposition; without it a <track> element can load it inline."""
    job = get_visible_job(request, job_id)
    body = exports.webvtt_from_result(job.result, media.job_duration(job)).encode()
    response = HttpResponse(body, content_type="text/vtt; charset=utf-8")
    name = exports.download_name(job.original_name, ".vtt")
    return media.protect(response, name, inline=not request.GET.get("download"))


@router.get("/jobs/{job_id}/thumbnail.jpg", response={200: None, 404: ErrorOut})
def job_thumbnail(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """A small still of the clip, decoded on request (nothing extra is stored to delete later)."""
    job = get_visible_job(request, job_id)
    if job.video is None:
        raise HttpError(404, NO_VIDEO)
    try:
        with files.local_video(job.video) as path:
            body = exports.thumbnail_jpeg(path)
    except (ValueError, OSError) as exc:
        raise HttpError(404, "No still can be taken from this video.") from exc
    response = HttpResponse(body, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return media.protect(response, exports.download_name(job.original_name, ".jpg"), inline=True)
