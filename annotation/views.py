"""Pages of the annotation workspace: the review queue, one job's workspace, sharing consent.

The pages render the initial state; annotation/static/annotation/workspace.js edits it through
the JSON API (annotation.api), so the page and the API apply the same rules.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from accounts.roles import is_admin, is_annotator
from annotation import services
from annotation.access import can_annotate_job, review_queue
from annotation.errors import AnnotationError
from annotation.models import Annotation, ReviewRequest
from annotation.serializers import annotation_to_dict
from jobs.models import Job


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Jobs queued for review (annotators: shared ones; admins: all)."""
    if not is_annotator(request.user):
        raise PermissionDenied("Only annotators see the review queue.")
    jobs = list(review_queue(request.user)[:200])
    statuses = dict(
        Annotation.objects.filter(job__in=[j.pk for j in jobs]).values_list("job_id", "status")
    )
    rows = [(job, statuses.get(job.pk, "new")) for job in jobs]
    return render(request, "annotation/queue.html",
                  {"rows": rows, "is_admin": is_admin(request.user)})


@login_required
@ensure_csrf_cookie
def workspace(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """Correct one job: segments, glosses, translation, flags; submit; review."""
    job = get_object_or_404(Job.objects.select_related("video"), pk=job_id)
    if not can_annotate_job(request.user, job):
        raise Http404("No such job.")
    annotation = Annotation.objects.filter(job=job).select_related("annotator").first()
    state = annotation_to_dict(job, annotation, request.user)
    return render(request, "annotation/workspace.html", {"job": job, "state": state})


@login_required
@require_http_methods(["GET", "POST"])
def share(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """The owner's consent page: share a job with annotators, or withdraw it."""
    job = get_object_or_404(Job.objects.select_related("video"), pk=job_id)
    if job.owner_id != request.user.pk:
        raise Http404("No such job.")
    if request.method == "POST":
        try:
            if request.POST.get("action") == "withdraw":
                services.withdraw_review_request(job, request.user)
            else:
                services.share_job_for_review(job, request.user, request.POST.get("note", ""))
        except AnnotationError as exc:
            raise PermissionDenied(str(exc)) from exc
        return redirect("annotation:share", job_id=job.pk)
    shared = ReviewRequest.objects.filter(job=job).first()
    return render(request, "annotation/share.html", {"job": job, "shared": shared})
