"""Server-rendered pages; the page scripts talk to the JSON API and the job WebSocket."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from accounts.preferences import pick_language, preferred_language, remember_language
from frontend.presenters import format_duration, history_rows, job_page_context
from jobs import services
from jobs.access import can_delete_job, can_view_job, visible_jobs
from jobs.models import Job
from registry.job_language import UnknownLanguage, check_language
from registry.selectors import active_languages

HISTORY_LIMIT = 200


def _session_key(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def _user(request: HttpRequest) -> Any | None:
    return request.user if request.user.is_authenticated else None


def _login_needed(request: HttpRequest) -> bool:
    return not request.user.is_authenticated and not settings.SLRWEB_ALLOW_ANONYMOUS


def _visible_job_or_404(request: HttpRequest, job_id: uuid.UUID) -> Job:
    job = get_object_or_404(Job.objects.select_related("video"), pk=job_id)
    if not can_view_job(_user(request), _session_key(request), job):
        raise Http404(_("No such job."))  # 404, not 403: do not reveal that it exists
    return job


@ensure_csrf_cookie
def home(request: HttpRequest) -> HttpResponse:
    """Upload or record a clip, in the chosen sign language."""
    if _login_needed(request):
        return redirect_to_login(request.get_full_path())
    _session_key(request)
    return render(request, "frontend/home.html", {
        **_language_choice(request),
        "max_seconds": int(settings.SLRWEB_MAX_DURATION_SECONDS),
        "max_clock": format_duration(settings.SLRWEB_MAX_DURATION_SECONDS),
        "max_upload_mb": settings.SLRWEB_MAX_UPLOAD_BYTES // (1024 * 1024),
    })


def _language_choice(request: HttpRequest) -> dict[str, Any]:
    """The languages with an active model, and the one to preselect for this requester."""
    languages = active_languages()
    selected = pick_language(
        preferred_language(request),
        [language.code for language in languages],
        settings.SLRWEB_DEFAULT_LANGUAGE,
    )
    return {"languages": languages, "selected_language": selected}


@ensure_csrf_cookie
def live(request: HttpRequest) -> HttpResponse:
    """Live mode: the camera's landmarks, read in the browser, stream to the server; the signs
    come back while the person signs (recognition.consumers)."""
    if _login_needed(request):
        return redirect_to_login(request.get_full_path())
    _session_key(request)  # an anonymous live session's saved job belongs to this session
    return render(request, "frontend/live.html", _language_choice(request))


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Remember the picker's choice; JSON for the page script, a redirect without script."""
    if _login_needed(request):
        return JsonResponse({"detail": _("Log in first.")}, status=401)
    try:  # the same check as the API's `language` (registry.job_language)
        code = check_language(request.POST.get("language", ""))
    except UnknownLanguage as exc:
        return JsonResponse({"detail": str(exc), "languages": exc.valid}, status=400)
    remember_language(request, code)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"language": code})
    return redirect("frontend:home")


@ensure_csrf_cookie
def job_detail(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """Live progress, then the result: video with skeleton, signs, translation, downloads."""
    if _login_needed(request):
        return redirect_to_login(request.get_full_path())
    job = _visible_job_or_404(request, job_id)
    return render(request, "frontend/job.html", job_page_context(job))


def history(request: HttpRequest) -> HttpResponse:
    """The requester's past jobs, newest first."""
    if _login_needed(request):
        return redirect_to_login(request.get_full_path())
    jobs = visible_jobs(_user(request), _session_key(request)).select_related("video")
    return render(request, "frontend/history.html", {
        "rows": history_rows(list(jobs[:HISTORY_LIMIT])),
    })


@require_POST
def delete_job(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """Delete a job with its video and landmarks (when no other job uses them)."""
    if _login_needed(request):
        return redirect_to_login(request.get_full_path())
    job = _visible_job_or_404(request, job_id)
    if not can_delete_job(_user(request), _session_key(request), job):
        messages.error(request, _("Only the owner of a job can delete it."))
        return redirect("frontend:job", job_id=job.id)
    name = job.original_name or _("Video")
    services.delete_job(job)
    messages.success(request, _("Deleted “%(name)s” with its video and landmarks.") % {
        "name": name})
    return redirect("frontend:history")
