"""HTTP API of annotation: the review queue, sharing consent, edit/submit/review, exports.

Every job endpoint answers 404 for a job the requester may not annotate (as jobs.api does for
jobs one may not see), so that private jobs are not revealed.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile

from accounts.api_auth import API_AUTH
from annotation import services
from annotation.access import can_annotate_job, can_review_annotation, review_queue
from annotation.errors import AnnotationError
from annotation.formats import annotation_webvtt, build_eaf, eaf_bytes
from annotation.models import Annotation, Correction
from annotation.selectors import clip_duration, search_glosses
from annotation.serializers import annotation_to_dict, correction_to_dict, job_summary
from annotation.state import model_segments
from jobs.access import can_view_job
from jobs.models import Job

router = Router(tags=["annotation"], auth=API_AUTH)
MAX_EAF_BYTES = 5 * 1024 * 1024


class SegmentIn(Schema):
    id: str
    start: float
    end: float
    gloss: str = ""
    origin: int | None = None


class StateIn(Schema):
    segments: list[SegmentIn]
    translation: str = ""
    flags: list[str] = []
    revision: int


class RevisionIn(Schema):
    revision: int


class ReviewIn(Schema):
    decision: Literal["accept", "reject"]
    comment: str = ""
    revision: int


class ShareIn(Schema):
    job: uuid.UUID
    note: str = ""


def refusals(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer an AnnotationError with its status and message ({"detail": ...})."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except AnnotationError as exc:
            raise HttpError(exc.status, str(exc)) from exc

    return wrapper


def _user(request: HttpRequest) -> Any:
    user = request.auth.user  # type: ignore[attr-defined]
    if user is None:
        raise HttpError(401, "Log in to annotate.")
    return user


def annotatable_job(request: HttpRequest, job_id: uuid.UUID) -> Job:
    job = get_object_or_404(Job.objects.select_related("video"), pk=job_id)
    if not can_annotate_job(_user(request), job):
        raise HttpError(404, "No such job.")
    return job


def existing_annotation(job: Job) -> Annotation | None:
    return Annotation.objects.filter(job=job).select_related("annotator", "job").first()


@router.get("/annotation/queue/")
def queue(request: HttpRequest) -> list[dict[str, Any]]:
    """Jobs waiting for annotation or review: annotators see shared jobs, admins every job."""
    jobs = review_queue(_user(request))[:200]
    statuses = dict(
        Annotation.objects.filter(job__in=[j.pk for j in jobs]).values_list("job_id", "status")
    )
    # `shared` is annotated on the queryset by review_queue.
    return [{**job_summary(job), "shared": job.shared,  # type: ignore[attr-defined]
             "status": statuses.get(job.pk, "new")}
            for job in jobs]


@router.post("/annotation/shares/", response={201: dict})
@refusals
def share(request: HttpRequest, payload: ShareIn) -> tuple[int, dict[str, Any]]:
    """The owner consents that annotators may see and correct their job."""
    who = request.auth  # type: ignore[attr-defined]
    job = get_object_or_404(Job, pk=payload.job)
    if not can_view_job(who.user, who.session_key, job):
        raise HttpError(404, "No such job.")
    shared = services.share_job_for_review(job, who.user, payload.note)
    return 201, {"job": str(job.id), "note": shared.note, "created": shared.created.isoformat()}


@router.delete("/annotation/shares/{job_id}/", response={204: None})
@refusals
def withdraw(request: HttpRequest, job_id: uuid.UUID) -> tuple[int, None]:
    who = request.auth  # type: ignore[attr-defined]
    job = get_object_or_404(Job, pk=job_id)
    if not can_view_job(who.user, who.session_key, job):
        raise HttpError(404, "No such job.")
    services.withdraw_review_request(job, who.user)
    return 204, None


@router.get("/annotation/jobs/{job_id}/")
def get_annotation(request: HttpRequest, job_id: uuid.UUID) -> dict[str, Any]:
    job = annotatable_job(request, job_id)
    return annotation_to_dict(job, existing_annotation(job), _user(request))


@router.put("/annotation/jobs/{job_id}/")
@refusals
def save(request: HttpRequest, job_id: uuid.UUID, payload: StateIn) -> dict[str, Any]:
    """Save a draft; 409 when somebody saved since `revision`, 400 with the reason if invalid."""
    job, user = annotatable_job(request, job_id), _user(request)
    annotation = services.open_annotation(job, user)
    data = payload.dict()
    annotation = services.save_draft(
        annotation, user, segments=data["segments"], translation=data["translation"],
        flags=data["flags"], revision=data["revision"],
    )
    return annotation_to_dict(job, annotation, user)


@router.post("/annotation/jobs/{job_id}/submit")
@refusals
def submit(request: HttpRequest, job_id: uuid.UUID, payload: RevisionIn) -> dict[str, Any]:
    job, user = annotatable_job(request, job_id), _user(request)
    annotation = services.open_annotation(job, user)
    annotation = services.submit_annotation(annotation, user, payload.revision)
    return annotation_to_dict(job, annotation, user)


@router.post("/annotation/jobs/{job_id}/review")
@refusals
def review(request: HttpRequest, job_id: uuid.UUID, payload: ReviewIn) -> dict[str, Any]:
    job, user = annotatable_job(request, job_id), _user(request)
    annotation = existing_annotation(job)
    if annotation is None or not can_review_annotation(user, annotation):
        raise HttpError(403, "You may not review this annotation.")
    if payload.decision == "accept":
        services.accept_annotation(annotation, user, payload.revision, payload.comment)
    else:
        services.reject_annotation(annotation, user, payload.revision, payload.comment)
    return annotation_to_dict(job, existing_annotation(job), user)


@router.post("/annotation/jobs/{job_id}/import-eaf")
@refusals
def import_eaf(
    request: HttpRequest, job_id: uuid.UUID, file: File[UploadedFile], revision: Form[int]
) -> dict[str, Any]:
    """Pre-fill the segments (and translation) from an ELAN file's GLOSS/TRANSLATION tiers."""
    job, user = annotatable_job(request, job_id), _user(request)
    if (file.size or 0) > MAX_EAF_BYTES:
        raise HttpError(413, "The .eaf file is too large.")
    annotation = services.open_annotation(job, user)
    annotation = services.prefill_from_eaf(annotation, user, file.read(), revision)
    return annotation_to_dict(job, annotation, user)


@router.get("/annotation/jobs/{job_id}/corrections")
def corrections(request: HttpRequest, job_id: uuid.UUID) -> list[dict[str, Any]]:
    job = annotatable_job(request, job_id)
    rows = Correction.objects.filter(annotation__job=job).order_by("created", "id")
    return [correction_to_dict(c) for c in rows]


def _current_state(job: Job, user: Any) -> dict[str, Any]:
    return annotation_to_dict(job, existing_annotation(job), user)


@router.get("/annotation/jobs/{job_id}/export.eaf")
def export_eaf(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """The annotation as ELAN: tiers GLOSS, TOPK (the model's), TRANSLATION."""
    job = annotatable_job(request, job_id)
    state = _current_state(job, _user(request))
    eaf = build_eaf(state["segments"], model_segments(job.result), state["translation"],
                    clip_duration(job), media_url=job.original_name or "")
    return _download(eaf_bytes(eaf), "application/xml", f"{job.id}.eaf")


@router.get("/annotation/jobs/{job_id}/export.vtt")
def export_vtt(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    job = annotatable_job(request, job_id)
    state = _current_state(job, _user(request))
    text = annotation_webvtt(state["segments"], state["translation"])
    return _download(text.encode(), "text/vtt; charset=utf-8", f"{job.id}.vtt")


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get("/annotation/glosses/")
def glosses(request: HttpRequest, language: str, q: str = "", limit: int = 20) -> list[dict]:
    """Autocomplete over a language's vocabulary (registry glosses)."""
    _user(request)
    return search_glosses(language, q, max(1, min(limit, 100)))
