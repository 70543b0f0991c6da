"""The registry over the JSON API, for admins (an MLOps pipeline deploys without the admin
pages): languages, vocabularies and versions; upload a bundle; shadow-evaluate a candidate;
activate and roll back.

Only admins (accounts.roles) get in: no credentials is 401, a user who is not an admin 403,
before any parameter is read. Long work (registration, shadow evaluation) runs in a worker and
answers 202 with a task to poll at /registry/tasks/{id}/ (registry.background).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile

from accounts.api_auth import Requester, SessionAuth, TokenAuth
from accounts.roles import is_admin
from registry import background, selectors, services
from registry.errors import RegistryError
from registry.models import ActivationEvent, ModelVersion, RegistryTask, SignLanguage


class AdminOnly:
    """Mixin of an API auth class: authenticated non-admins are refused with 403."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Requester | None:
        who = super().authenticate(request, key)  # type: ignore[misc]
        if who is None or who.user is None:
            return None  # -> 401
        if not is_admin(who.user):
            raise HttpError(403, "Only admins may use the registry API.")
        return who  # type: ignore[no-any-return]


class AdminTokenAuth(AdminOnly, TokenAuth):
    pass


class AdminSessionAuth(AdminOnly, SessionAuth):
    pass


router = Router(tags=["registry"], auth=[AdminTokenAuth(), AdminSessionAuth()])


class ErrorOut(Schema):
    detail: str


class LanguageOut(Schema):
    code: str
    name: str
    glosses: int
    active: dict[str, str]  # task -> version label


class GlossOut(Schema):
    gloss: str
    description: str
    reference_clip: bool


class VersionOut(Schema):
    id: int
    label: str
    name: str
    version: int
    language: str
    task: str
    status: str
    input_kind: str
    checksum: str
    metrics: dict[str, Any]
    evaluation: dict[str, Any]
    created: str
    activated: str | None


class TaskOut(Schema):
    id: str
    kind: str
    status: str
    stage: str
    percent: int
    error: str | None
    result: dict[str, Any]
    language: str | None
    task: str | None
    version: int | None
    created: str
    updated: str


class ShadowIn(Schema):
    jobs: int = 50  # the language's newest unlabelled jobs both versions read (0..500)


class ShadowOut(Schema):
    task: str
    evaluated: str
    figures: dict[str, Any]


class RollbackIn(Schema):
    language: str
    task: str


class ActivationOut(Schema):
    id: int
    action: str
    language: str
    task: str
    from_version: str | None
    to_version: str
    username: str
    figures: dict[str, Any]
    created: str


def version_out(v: ModelVersion) -> dict[str, Any]:
    return {"id": v.pk, "label": v.label, "name": v.name, "version": v.version,
            "language": v.language.code, "task": v.task, "status": v.status,
            "input_kind": v.input_kind, "checksum": v.checksum, "metrics": v.metrics,
            "evaluation": v.evaluation, "created": v.created.isoformat(),
            "activated": v.activated.isoformat() if v.activated else None}


def event_out(e: ActivationEvent) -> dict[str, Any]:
    return {"id": e.pk, "action": e.action, "language": e.language.code, "task": e.task,
            "from_version": e.from_version.label if e.from_version else None,
            "to_version": e.to_version.label, "username": e.username, "figures": e.figures,
            "created": e.created.isoformat()}


def _user(request: HttpRequest) -> Any:
    return request.auth.user  # type: ignore[attr-defined]


def _language(code: str) -> SignLanguage:
    language = SignLanguage.objects.filter(code=code.strip().lower()).first()
    if language is None:
        raise HttpError(404, f"No sign language {code[:24]!r} in the registry.")
    return language


def _version(version_id: int) -> ModelVersion:
    return get_object_or_404(ModelVersion.objects.select_related("language"), pk=version_id)


@router.get("/registry/languages/", response=list[LanguageOut])
def list_languages(request: HttpRequest) -> list[dict[str, Any]]:
    """Every sign language of the registry with its vocabulary size and active versions."""
    out = []
    for language in SignLanguage.objects.order_by("code"):
        active = language.model_versions.filter(status=ModelVersion.Status.ACTIVE)
        out.append({"code": language.code, "name": language.name,
                    "glosses": language.glosses.count(),
                    "active": {v.task: v.label for v in active}})
    return out


@router.get("/registry/languages/{code}/glosses/", response={200: list[GlossOut], 404: ErrorOut})
def list_glosses(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    """A language's vocabulary."""
    return [{"gloss": g.gloss, "description": g.description,
             "reference_clip": bool(g.reference_clip)}
            for g in _language(code).glosses.order_by("gloss")]


@router.get("/registry/versions/", response=list[VersionOut])
def list_versions(request: HttpRequest, language: str = "", task: str = "",
                  status: str = "") -> list[dict[str, Any]]:
    """Registered versions, newest first; filter by language code, task and status."""
    rows = ModelVersion.objects.select_related("language").order_by("-created", "-id")
    for field, value in (("language__code", language), ("task", task), ("status", status)):
        if value:
            rows = rows.filter(**{field: value.strip().lower()})
    return [version_out(v) for v in rows[:500]]


@router.get("/registry/versions/{version_id}/", response={200: VersionOut, 404: ErrorOut})
def get_version(request: HttpRequest, version_id: int) -> dict[str, Any]:
    return version_out(_version(version_id))


@router.post("/registry/versions/", response={202: TaskOut, 400: ErrorOut, 404: ErrorOut,
                                              413: ErrorOut})
def upload_bundle(request: HttpRequest, bundle: File[UploadedFile],
                  language: Form[str]) -> tuple[int, dict[str, Any]]:
    """Upload a bundle .zip for a language: answers 202 with the registration task at once
    (validation, smoke forward pass, evaluation on held-out corrections run in a worker)."""
    target = _language(language)
    if not (bundle.name or "").lower().endswith(".zip"):
        return 400, {"detail": "The bundle must be a .zip of a bundle folder."}
    row = background.start_registration(bundle, target, _user(request))
    return 202, background.task_to_dict(row)


@router.get("/registry/tasks/{task_id}/", response={200: TaskOut, 404: ErrorOut})
def get_task(request: HttpRequest, task_id: uuid.UUID) -> dict[str, Any]:
    """A registration, shadow evaluation or retrain: status, progress, result."""
    return background.task_to_dict(get_object_or_404(RegistryTask, pk=task_id))


@router.post("/registry/versions/{version_id}/shadow",
             response={202: TaskOut, 400: ErrorOut, 404: ErrorOut})
def start_shadow(request: HttpRequest, version_id: int,
                 payload: ShadowIn | None = None) -> tuple[int, dict[str, Any]]:
    """Run the version beside the active one on recent jobs and held-out corrections."""
    version = _version(version_id)
    jobs = payload.jobs if payload is not None else ShadowIn().jobs
    if not 0 <= jobs <= 500:
        return 400, {"detail": "jobs must be between 0 and 500."}
    try:
        row = background.start(RegistryTask.Kind.SHADOW, user=_user(request),
                               language=version.language, task=version.task, version=version,
                               params={"jobs": jobs})
    except RegistryError as exc:
        return 400, {"detail": str(exc)}
    return 202, background.task_to_dict(row)


@router.get("/registry/versions/{version_id}/shadow", response={200: ShadowOut, 404: ErrorOut})
def get_shadow(request: HttpRequest, version_id: int) -> dict[str, Any]:
    """The figures of the version's latest finished shadow evaluation."""
    shadow = background.latest_shadow(_version(version_id))
    if shadow is None:
        raise HttpError(404, "This version has no finished shadow evaluation.")
    return {"task": str(shadow.pk), "evaluated": shadow.updated.isoformat(),
            "figures": shadow.result}


@router.post("/registry/versions/{version_id}/activate",
             response={200: ActivationOut, 404: ErrorOut, 409: ErrorOut})
def activate(request: HttpRequest, version_id: int) -> tuple[int, dict[str, Any]]:
    """Make the version live (refused when it cannot serve its language's jobs)."""
    try:
        event = services.activate_version(_version(version_id), _user(request))
    except RegistryError as exc:
        return 409, {"detail": "; ".join(exc.problems) or str(exc)}
    return 200, event_out(event)


@router.post("/registry/rollback",
             response={200: ActivationOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def roll_back(request: HttpRequest, payload: RollbackIn) -> tuple[int, dict[str, Any]]:
    """Re-activate the version that was live before the current one of (language, task)."""
    language = _language(payload.language)
    if payload.task not in selectors.TASKS:
        return 400, {"detail": f"unknown task {payload.task[:24]!r}; one of {selectors.TASKS}"}
    try:
        event = services.roll_back(language, payload.task, _user(request))
    except RegistryError as exc:
        return 409, {"detail": "; ".join(exc.problems) or str(exc)}
    return 200, event_out(event)
