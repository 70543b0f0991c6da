"""Server-rendered pages; the page scripts talk to the JSON API and the job WebSocket."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import ensure_csrf_cookie

from jobs.access import can_view_job
from jobs.models import Job
from jobs.serializers import job_to_dict


def _session_key(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def _login_needed(request: HttpRequest) -> bool:
    return not request.user.is_authenticated and not settings.SLRWEB_ALLOW_ANONYMOUS


@ensure_csrf_cookie
def home(request: HttpRequest) -> HttpResponse:
    if _login_needed(request):
        return redirect_to_login(request.get_full_path())
    _session_key(request)
    return render(request, "frontend/home.html")


@ensure_csrf_cookie
def job_detail(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    if _login_needed(request):
        return redirect_to_login(request.get_full_path())
    job = get_object_or_404(Job.objects.select_related("video"), pk=job_id)
    user = request.user if request.user.is_authenticated else None
    if not can_view_job(user, _session_key(request), job):
        raise Http404("No such job.")
    return render(request, "frontend/job.html", {"job": job, "state": job_to_dict(job)})
