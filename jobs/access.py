"""Who may see a job: its owner (or owning anonymous session), staff, admins, and annotators
when the job is queued for review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobs.models import Job

# Who else may see a job, as apps above jobs decide it (annotation: annotators see the jobs
# shared for review, admins every job). They register at start-up (AppConfig.ready), so jobs
# imports none of them and the dependencies between apps run one way.
ViewRule = Callable[[Any, Job], bool]
_view_rules: list[ViewRule] = []


def add_view_rule(rule: ViewRule) -> None:
    """Let `rule(user, job)` grant a logged-in user the right to see a job (idempotent)."""
    if rule not in _view_rules:
        _view_rules.append(rule)


def can_view_job(user: Any | None, session_key: str, job: Job) -> bool:
    if user is not None and getattr(user, "is_authenticated", False):
        if job.owner_id == user.pk:
            return True
        if user.is_staff or user.has_perm("jobs.view_job"):
            return True
        # Rules of apps above jobs, e.g. annotators of jobs shared for review (add_view_rule).
        return any(rule(user, job) for rule in _view_rules)
    return job.owner_id is None and bool(session_key) and job.session_key == session_key


def can_delete_job(user: Any | None, session_key: str, job: Job) -> bool:
    """Deleting is for the owner (or owning session), staff and admins; not for annotators,
    who see shared jobs only to correct them."""
    from accounts.roles import is_admin

    if user is not None and getattr(user, "is_authenticated", False):
        return job.owner_id == user.pk or bool(user.is_staff) or is_admin(user)
    return job.owner_id is None and bool(session_key) and job.session_key == session_key


def visible_jobs(user: Any | None, session_key: str) -> Any:
    """The jobs a person lists as their own history."""
    if user is not None and getattr(user, "is_authenticated", False):
        return Job.objects.filter(owner=user)
    if not session_key:
        return Job.objects.none()
    return Job.objects.filter(owner__isnull=True, session_key=session_key)
