"""The objects the authorisation matrix fills route parameters with.

The requesters (ROLES): nobody logged in, the owner of the jobs, another plain user, an
annotator and an admin (accounts.roles), and a sixth: a user with Django's `is_staff` but no role,
who must get nothing beyond what any other user gets (staff only opens the admin's door). The jobs are real rows built directly (no Celery): a
private finished job of `owner` with a real video and real landmarks, and a second job of
`owner` shared for review whose annotation another annotator (`helper`) submitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accounts.models import ApiToken
from accounts.roles import ADMIN, ANNOTATOR, assign_role
from accounts.services import issue_token
from jobs.models import Job

ROLES = ("anonymous", "owner", "other", "annotator", "admin", "staff")


@dataclass
class World:
    users: dict[str, Any]  # role -> user (None for anonymous), plus "helper"
    job: Job  # owner's, private
    shared_job: Job  # owner's, shared for review, annotation submitted by helper
    token: ApiToken  # owner's API token
    language: Any
    model_version: Any
    objects: dict[str, Any]  # "app_label.model" -> one row of every model the admin lists
    video: Path  # the real clip the jobs were made from (uploads send it again)


def _user(username: str, role: str | None = None) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username, password=f"pw-{username}-123456")
    if role:
        assign_role(user, role)
    return user


def _registry() -> tuple[Any, Any, Any, Any]:
    from registry import services
    from registry.models import ActivationEvent, ModelVersion

    language = services.ensure_language("ase")
    services.add_glosses(language, [chr(c) for c in range(ord("A"), ord("Z") + 1)])
    version = ModelVersion.objects.create(
        language=language, task="isolated", name="ase-letters", version=1,
        bundle_path="models/ase", checksum="a" * 40, status=ModelVersion.Status.ACTIVE,
    )
    event = ActivationEvent.objects.create(
        language=language, task="isolated", action="activate", to_version=version
    )
    return language, version, event, language.glosses.first()


def _axes_rows() -> dict[str, Any]:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    where = {"user_agent": "matrix", "ip_address": "203.0.113.1", "username": "owner",
             "http_accept": "*/*", "path_info": "/accounts/login/"}
    return {
        "axes.accessattempt": AccessAttempt.objects.create(
            get_data="", post_data="", failures_since_start=1, **where),
        "axes.accesslog": AccessLog.objects.create(**where),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**where),
    }


def _shared_job(owner: Any, helper: Any, video: Path, sequence: Any) -> tuple[Job, dict]:
    from annotation.models import Correction, Review
    from annotation.services import open_annotation, share_job_for_review, submit_annotation
    from tests.annotation.factories import simple_result
    from tests.support.jobs import make_finished_job

    job = make_finished_job(video, owner=owner, landmarks=sequence, result=simple_result(1.9))
    request = share_job_for_review(job, owner)
    annotation = submit_annotation(open_annotation(job, helper), helper, None)
    correction = Correction.objects.create(
        annotation=annotation, author=helper, field="translation", before="", after="cob",
        revision=0)
    review = Review.objects.create(
        annotation=annotation, reviewer=helper, decision="reject", revision=0)
    return job, {"annotation.annotation": annotation, "annotation.reviewrequest": request,
                 "annotation.correction": correction, "annotation.review": review}


def _webhook_rows(owner: Any, job: Job) -> dict[str, Any]:
    from webhooks.models import EVENTS, Delivery, Webhook

    hook = Webhook.objects.create(owner=owner, url="https://93.184.216.34/hook",
                                  events=list(EVENTS), secret="s" * 64)
    delivery = Delivery.objects.create(webhook=hook, job_id=job.pk, event=EVENTS[0], payload="{}")
    return {"webhooks.webhook": hook, "webhooks.delivery": delivery}


def build_world(video: Path, sequence: Any) -> World:
    """Create every object of the matrix; `video` is a real clip, `sequence` real landmarks."""
    from django.contrib.auth.models import Group

    from tests.annotation.factories import simple_result
    from tests.support.jobs import make_finished_job

    users: dict[str, Any] = {
        "anonymous": None, "owner": _user("owner"), "other": _user("other"),
        "annotator": _user("anna", ANNOTATOR), "admin": _user("ada", ADMIN),
        "staff": _user("stan"), "helper": _user("bert", ANNOTATOR),
    }
    users["staff"].is_staff = True
    users["staff"].save(update_fields=["is_staff"])
    language, version, event, gloss = _registry()
    job = make_finished_job(video, owner=users["owner"], landmarks=sequence,
                            result=simple_result(1.9))
    shared_job, annotation_rows = _shared_job(users["owner"], users["helper"], video, sequence)
    token = issue_token(users["owner"], name="matrix")
    objects = {
        "auth.user": users["owner"], "auth.group": Group.objects.get(name=ANNOTATOR),
        "accounts.apitoken": token, "registry.signlanguage": language, "registry.gloss": gloss,
        "registry.modelversion": version, "registry.activationevent": event,
        "jobs.job": job, "jobs.video": job.video, **annotation_rows, **_axes_rows(),
        **_webhook_rows(users["owner"], job),
    }
    return World(users=users, job=job, shared_job=shared_job, token=token, language=language,
                 model_version=version, objects=objects, video=video)
