"""Who may annotate and review which jobs.

Plain users see their own jobs only (jobs.access). Annotators additionally see the jobs queued
for review: those whose owner consented (a ReviewRequest), or every job when the site sets
SLRWEB_SHARE_JOBS_FOR_REVIEW. Admins see and annotate every job.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from accounts.roles import is_admin, is_annotator
from annotation.models import Annotation, ReviewRequest
from jobs.models import Job


def share_all_jobs() -> bool:
    """Whether the site shares every job with annotators (SLRWEB_SHARE_JOBS_FOR_REVIEW)."""
    return bool(getattr(settings, "SLRWEB_SHARE_JOBS_FOR_REVIEW", False))


def job_is_shared_for_review(job: Job) -> bool:
    """Whether annotators may see this job: by the site's setting or its owner's consent."""
    return share_all_jobs() or ReviewRequest.objects.filter(job_id=job.pk).exists()


def can_annotate_job(user: Any, job: Job) -> bool:
    """Admins annotate every job; annotators the jobs shared for review."""
    if is_admin(user):
        return True
    return is_annotator(user) and job_is_shared_for_review(job)


def can_review_annotation(user: Any, annotation: Annotation) -> bool:
    """Admins review anything; an annotator reviews shared jobs annotated by somebody else."""
    if is_admin(user):
        return True
    return (
        is_annotator(user)
        and annotation.annotator_id != user.pk
        and job_is_shared_for_review(annotation.job)
    )


def review_queue(user: Any) -> QuerySet[Job]:
    """The finished jobs this user may annotate, oldest share first (none for plain users)."""
    jobs = Job.objects.filter(status=Job.Status.SUCCEEDED).select_related("video")
    shared = Exists(ReviewRequest.objects.filter(job_id=OuterRef("pk")))
    jobs = jobs.annotate(shared=shared)
    if is_admin(user) or (is_annotator(user) and share_all_jobs()):
        return jobs.order_by("-shared", "created")
    if is_annotator(user):
        return jobs.filter(shared=True).order_by("review_request__created")
    return Job.objects.none()
