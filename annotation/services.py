"""Annotation operations: share a job for review, edit, submit, accept or reject.

These functions own every write of the annotation app. They enforce the workflow (who may
consent, which status allows which step, revisions) but not roles: the views and the API check
annotation.access first.

Workflow: draft -> submitted -> accepted | rejected; a rejected annotation is edited again (it
becomes a draft) and resubmitted. Every save records one Correction per changed field.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation.errors import AnnotationConflict, InvalidAnnotation, NotAllowed
from annotation.models import Annotation, Correction, ReviewRequest, Review
from annotation.selectors import annotation_state, clip_duration, unknown_glosses
from annotation.state import (
    best_origin, clean_flags, clean_segments, clean_translation, diff_states, model_labels,
    model_segments, proposal_from_result,
)
from jobs.models import Job


def share_job_for_review(job: Job, user: Any, note: str = "") -> ReviewRequest:
    """Record the owner's consent that annotators may see and correct this job."""
    if user is None or job.owner_id is None or job.owner_id != user.pk:
        raise NotAllowed(_("Only the owner of a job can share it for review."))
    request, created = ReviewRequest.objects.get_or_create(
        job=job, defaults={"shared_by": user, "note": note.strip()}
    )
    if not created and note.strip():
        request.note = note.strip()
        request.save(update_fields=["note"])
    return request


def withdraw_review_request(job: Job, user: Any) -> bool:
    """The owner takes back their consent; annotations already made stay (admins see them)."""
    if user is None or job.owner_id != user.pk:
        raise NotAllowed(_("Only the owner of a job can withdraw it from review."))
    deleted, _details = ReviewRequest.objects.filter(job=job).delete()
    return bool(deleted)


def open_annotation(job: Job, user: Any) -> Annotation:
    """The job's annotation, created from the models' output the first time it is opened."""
    if job.status != Job.Status.SUCCEEDED:
        raise AnnotationConflict(_("Only a finished job can be annotated."))
    from landmarks.extract import EXTRACTOR_VERSION

    annotation, _created = Annotation.objects.get_or_create(
        job=job,
        defaults={
            "language": job.language,
            "annotator": user,
            "base_models": model_labels(job.result, extractor=EXTRACTOR_VERSION),
            **proposal_from_result(job.result),
        },
    )
    return annotation


def _lock(annotation: Annotation, revision: int | None) -> Annotation:
    """Re-read the annotation under a row lock and check the caller saw its latest revision."""
    locked = Annotation.objects.select_for_update(of=("self",)).select_related("job", "job__video").get(
        pk=annotation.pk
    )
    if revision is not None and revision != locked.revision:
        raise AnnotationConflict(
            _("This annotation was changed by somebody else (now revision %(now)d, you had "
              "%(had)d). Reload the page to see the changes.")
            % {"now": locked.revision, "had": revision}
        )
    return locked


def _require_editable(annotation: Annotation) -> None:
    if not annotation.is_editable:
        raise AnnotationConflict(
            _("The annotation is %(status)s and can no longer be edited.")
            % {"status": annotation.get_status_display()}
        )


@transaction.atomic
def save_draft(
    annotation: Annotation, user: Any, *, segments: Any, translation: Any, flags: Any,
    revision: int | None,
) -> Annotation:
    """Validate and store a new state; one Correction row per changed field.

    Raises InvalidAnnotation (bad state), AnnotationConflict (stale revision or locked status).
    """
    locked = _lock(annotation, revision)
    _require_editable(locked)
    job = locked.job
    new_segments = clean_segments(segments, clip_duration(job), len(model_segments(job.result)))
    new_translation, new_flags = clean_translation(translation), clean_flags(flags)
    changes = diff_states(
        annotation_state(locked),
        {"segments": new_segments, "translation": new_translation, "flags": new_flags},
    )
    if not changes and locked.status == Annotation.Status.DRAFT:
        return locked
    locked.revision += 1
    locked.segments = new_segments
    locked.translation = new_translation
    locked.flags = new_flags
    locked.status = Annotation.Status.DRAFT
    locked.save()
    username = getattr(user, "get_username", lambda: "")()
    Correction.objects.bulk_create([
        Correction(
            annotation=locked, author=user, author_name=username,
            model_version=locked.base_models.get(change.task, "") if change.task else "",
            field=change.field, before=change.before, after=change.after,
            revision=locked.revision,
        )
        for change in changes
    ])
    return locked


@transaction.atomic
def submit_annotation(annotation: Annotation, user: Any, revision: int | None) -> Annotation:
    """Hand a complete draft to the reviewers: every segment needs a known gloss."""
    locked = _lock(annotation, revision)
    _require_editable(locked)
    missing = [i + 1 for i, seg in enumerate(locked.segments) if not seg["gloss"]]
    if missing:
        raise InvalidAnnotation(
            _("Segments without a gloss: %(list)s.") % {"list": ", ".join(map(str, missing))}
        )
    unknown = unknown_glosses(locked)
    if unknown:
        raise InvalidAnnotation(
            _("Not in the %(lang)s vocabulary: %(list)s. Pick a gloss from the list.")
            % {"lang": locked.language, "list": ", ".join(unknown)}
        )
    locked.status = Annotation.Status.SUBMITTED
    locked.annotator = user
    locked.submitted = timezone.now()
    locked.save(update_fields=["status", "annotator", "submitted", "updated"])
    return locked


def accept_annotation(
    annotation: Annotation, reviewer: Any, revision: int | None, comment: str = ""
) -> Review:
    """Accept a submitted annotation: it becomes training data."""
    return _decide(annotation, reviewer, Review.Decision.ACCEPT, comment, revision)


def reject_annotation(
    annotation: Annotation, reviewer: Any, revision: int | None, comment: str
) -> Review:
    """Send a submitted annotation back to be edited; the comment says why (required)."""
    if not (comment or "").strip():
        raise InvalidAnnotation(_("Say why the annotation is rejected."))
    return _decide(annotation, reviewer, Review.Decision.REJECT, comment, revision)


@transaction.atomic
def _decide(
    annotation: Annotation, reviewer: Any, decision: str, comment: str, revision: int | None
) -> Review:
    locked = _lock(annotation, revision)
    if locked.status != Annotation.Status.SUBMITTED:
        raise AnnotationConflict(
            _("Only a submitted annotation can be reviewed; this one is %(status)s.")
            % {"status": locked.get_status_display()}
        )
    accepted = decision == Review.Decision.ACCEPT
    locked.status = Annotation.Status.ACCEPTED if accepted else Annotation.Status.REJECTED
    locked.reviewed = timezone.now()
    locked.save(update_fields=["status", "reviewed", "updated"])
    return Review.objects.create(
        annotation=locked, reviewer=reviewer, decision=decision,
        comment=(comment or "").strip(), revision=locked.revision,
    )


def prefill_from_eaf(
    annotation: Annotation, user: Any, data: bytes, revision: int | None
) -> Annotation:
    """Replace the segments (and the translation, when the file has one) with an ELAN file's."""
    from annotation.formats import read_eaf

    content = read_eaf(data)
    model = model_segments(annotation.job.result)
    segments = [
        {"id": f"e{i}", "start": seg["start"], "end": seg["end"], "gloss": seg["gloss"],
         "origin": best_origin(seg["start"], seg["end"], model)}
        for i, seg in enumerate(content.segments)
    ]
    translation = content.translation if content.translation else annotation.translation
    return save_draft(annotation, user, segments=segments, translation=translation,
                      flags=annotation.flags, revision=revision)
