"""The JSON shapes of the annotation app, shared by the API and the workspace page."""

from __future__ import annotations

from typing import Any

from annotation.access import can_review_annotation, job_is_shared_for_review
from annotation.models import FLAGS, Annotation, Correction, Review
from annotation.selectors import clip_duration
from annotation.state import model_labels, model_segments, proposal_from_result
from jobs.models import Job


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def review_to_dict(review: Review) -> dict[str, Any]:
    return {
        "reviewer": review.reviewer.get_username() if review.reviewer else None,
        "decision": review.decision,
        "comment": review.comment,
        "revision": review.revision,
        "created": _iso(review.created),
    }


def correction_to_dict(correction: Correction) -> dict[str, Any]:
    return {
        "author": correction.author_name,
        "created": _iso(correction.created),
        "model_version": correction.model_version,
        "field": correction.field,
        "before": correction.before,
        "after": correction.after,
        "revision": correction.revision,
    }


def job_summary(job: Job) -> dict[str, Any]:
    """What the workspace and the queue show of a job."""
    return {
        "id": str(job.id),
        "language": job.language,
        "name": job.original_name,
        # None: a landmarks-only job (its video never left the user's device).
        "video_url": f"/api/v1/jobs/{job.id}/video" if job.video_id else None,
        "duration": clip_duration(job),
        "created": _iso(job.created),
    }


def annotation_to_dict(job: Job, annotation: Annotation | None, user: Any) -> dict[str, Any]:
    """The job's annotation (or, before the first save, the models' proposal) for this user."""
    result = job.result or {}
    if annotation is None:
        state = {**proposal_from_result(result), "status": "new", "revision": 0,
                 "base_models": model_labels(result), "annotator": None,
                 "submitted": None, "reviewed": None, "reviews": []}
    else:
        state = {
            "segments": annotation.segments, "translation": annotation.translation,
            "flags": annotation.flags, "status": annotation.status,
            "revision": annotation.revision, "base_models": annotation.base_models,
            "annotator": annotation.annotator.get_username() if annotation.annotator else None,
            "submitted": _iso(annotation.submitted), "reviewed": _iso(annotation.reviewed),
            "reviews": [review_to_dict(r) for r in annotation.reviews.select_related("reviewer")],
        }
    editable = annotation is None or annotation.is_editable
    return {
        "job": job_summary(job),
        **state,
        "model": {
            "segments": model_segments(result),
            "translation": result.get("translation") or None,
        },
        "flag_choices": {key: str(label) for key, label in FLAGS.items()},
        "shared": job_is_shared_for_review(job),
        "can_edit": editable,
        "can_review": bool(
            annotation is not None and annotation.status == Annotation.Status.SUBMITTED
            and can_review_annotation(user, annotation)
        ),
    }
