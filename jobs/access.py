"""Who may see a job: its owner (or owning anonymous session) and staff."""

from __future__ import annotations

from typing import Any

from jobs.models import Job


def can_view_job(user: Any | None, session_key: str, job: Job) -> bool:
    if user is not None and getattr(user, "is_authenticated", False):
        if job.owner_id == user.pk:
            return True
        return bool(user.is_staff or user.has_perm("jobs.view_job"))
    return job.owner_id is None and bool(session_key) and job.session_key == session_key


def visible_jobs(user: Any | None, session_key: str) -> Any:
    """The jobs a person lists as their own history."""
    if user is not None and getattr(user, "is_authenticated", False):
        return Job.objects.filter(owner=user)
    if not session_key:
        return Job.objects.none()
    return Job.objects.filter(owner__isnull=True, session_key=session_key)
