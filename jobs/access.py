"""Who may see a job: its owner (or owning anonymous session), and whoever a rule registered
by an app above jobs lets in (annotation: admins every job, annotators the jobs shared for
review).

Staff status grants nothing here (issue 11): `is_staff` only opens the Django admin's door.
Neither does a hand-granted `jobs.view_job`: roles (accounts.roles) are the one way in.
"""

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


def _logged_in(user: Any | None) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def _owns(user: Any | None, session_key: str, job: Job) -> bool:
    if user is not None and _logged_in(user):
        return bool(job.owner_id == user.pk)
    return job.owner_id is None and bool(session_key) and job.session_key == session_key


def can_view_job(user: Any | None, session_key: str, job: Job) -> bool:
    if _owns(user, session_key, job):
        return True
    if user is None or not _logged_in(user) or not user.is_active:
        return False
    # Rules of apps above jobs, e.g. annotators of jobs shared for review (add_view_rule).
    return any(rule(user, job) for rule in _view_rules)


def can_delete_job(user: Any | None, session_key: str, job: Job) -> bool:
    """Deleting is for the owner (or owning session) and admins; not for annotators, who see
    shared jobs only to correct them, nor for staff without the admin role."""
    from accounts.roles import is_admin

    return _owns(user, session_key, job) or (_logged_in(user) and is_admin(user))


def visible_jobs(user: Any | None, session_key: str) -> Any:
    """The jobs a person lists as their own history."""
    if _logged_in(user):
        return Job.objects.filter(owner=user)
    if not session_key:
        return Job.objects.none()
    return Job.objects.filter(owner__isnull=True, session_key=session_key)
