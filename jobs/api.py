"""HTTP API of jobs: create from an upload, read, list, delete, fetch the video and landmarks."""

from __future__ import annotations

import uuid

from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router
from ninja.errors import HttpError
from ninja.files import UploadedFile

from accounts.api_auth import API_AUTH, Requester
from jobs import services
from jobs.access import can_view_job, visible_jobs
from jobs.models import Job
from jobs.schemas import ErrorOut, JobOut
from jobs.serializers import job_to_dict
from jobs.stages import video_path

router = Router(tags=["jobs"], auth=API_AUTH)


def requester(request: HttpRequest) -> Requester:
    return request.auth  # type: ignore[attr-defined, no-any-return]


def get_visible_job(request: HttpRequest, job_id: uuid.UUID) -> Job:
    who = requester(request)
    job = get_object_or_404(Job.objects.select_related("video"), pk=job_id)
    if not can_view_job(who.user, who.session_key, job):
        raise HttpError(404, "No such job.")  # 404, not 403: do not reveal that it exists
    return job


@router.post("/jobs/", response={201: JobOut, 400: ErrorOut, 413: ErrorOut})
def create_job(
    request: HttpRequest, video: File[UploadedFile], language: Form[str] = ""
) -> tuple[int, dict]:
    """Upload a video (multipart field `video`) and start its pipeline."""
    who = requester(request)
    try:
        job = services.create_job(
            chunks=video.chunks(),
            filename=video.name or "upload",
            content_type=video.content_type or "",
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
    services.delete_job(get_visible_job(request, job_id))
    return 204, None


@router.get("/jobs/{job_id}/video", response={200: None, 404: ErrorOut})
def job_video(request: HttpRequest, job_id: uuid.UUID) -> FileResponse:
    job = get_visible_job(request, job_id)
    return FileResponse(open(video_path(job), "rb"), content_type=job.video.content_type or None)
