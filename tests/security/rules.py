"""RULES: who gets what from every route. Columns: anonymous, owner, other, annotator, admin.

A job route is asked about `world.job` (the owner's private job) unless the rule says otherwise;
the `shared` variants ask about `world.shared_job` (shared for review). Anonymous here means no
login with SLRWEB_ALLOW_ANONYMOUS off (the production default). Admin pages are declared per
model in ADMIN_MODELS: what the admin role may do there (v: view, a: add, c: change, d: delete);
everyone else is sent to the admin login.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.security.harness import ACCEPT, LOGIN, E, Rule, default_params
from tests.security.world import World

L = LOGIN


def shared(world: World) -> dict[str, Any]:
    return {**default_params(world), "job_id": world.shared_job.id}


def live(world: World) -> dict[str, Any]:
    return {**default_params(world), "language": world.language.code}


def live_unserved(world: World) -> dict[str, Any]:
    return {**default_params(world), "language": "xx-none"}


def upload(world: World) -> dict[str, Any]:
    return {"video": SimpleUploadedFile("clip.mp4", world.video.read_bytes(), "video/mp4")}


def eaf(world: World) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("a.eaf", b"<ANNOTATION_DOCUMENT/>", "text/xml"),
            "revision": 0}


PRIVATE_JOB_READ = E(401, 200, 404, 404, 200)
SHARED_JOB_READ = E(401, 200, 404, 200, 200, params=shared)

PAGES: dict[str, Rule | list[Rule]] = {
    "frontend:home": E(L, 200, 200, 200, 200),
    "frontend:history": E(L, 200, 200, 200, 200),
    "frontend:live": E(L, 200, 200, 200, 200),
    "frontend:job": [E(L, 200, 404, 404, 200), E(L, 200, 404, 200, 200, params=shared)],
    "frontend:delete_job": [
        E(L, "/history/", 404, 404, "/history/", method="POST"),
        # The annotator sees the shared job but may not delete it: back to the job page.
        E(L, "/history/", 404, lambda w: f"/jobs/{w.shared_job.id}/", "/history/", method="POST",
          params=shared),
    ],
    "frontend:set_language": E(401, "/", "/", "/", "/", method="POST",
                               body=lambda w: {"language": "ase"}),
    "frontend:jsi18n": E(200, 200, 200, 200, 200),
    "set_language": E("/", "/", "/", "/", "/", method="POST", body=lambda w: {"language": "de"}),
    "accounts:account": E(L, 200, 200, 200, 200),
    "accounts:create_token": E(L, 201, 201, 201, 201, method="POST",
                               body=lambda w: {"name": "m", "days": "30"}),
    # The owner's token: only its owner revokes it here (admins use the admin's action).
    "accounts:revoke_token": E(L, "/accounts/", 404, 404, 404, method="POST"),
    "accounts:signup": E(200, "/", "/", "/", "/"),
    "accounts:login": E(200, "/", "/", "/", "/"),
    "accounts:logout": E("/", "/", "/", "/", "/", method="POST"),
    "annotation:queue": E(L, 403, 403, 200, 200),
    "annotation:workspace": [E(L, 404, 404, 404, 200),
                             E(L, 404, 404, 200, 200, params=shared)],
    "annotation:share": E(L, 200, 404, 404, 404),
    "annotation:jsi18n": E(200, 200, 200, 200, 200),
    "api-v1:api-root": E(404, 404, 404, 404, 404),
    "api-v1:openapi-json": E(200, 200, 200, 200, 200),
    "api-v1:openapi-view": E(200, 200, 200, 200, 200),
}

API: dict[str, Rule | list[Rule]] = {
    "POST /api/v1/jobs/": E(401, 201, 201, 201, 201, body=upload),
    "GET /api/v1/jobs/": E(401, 200, 200, 200, 200),
    "GET /api/v1/jobs/{job_id}/": [PRIVATE_JOB_READ, SHARED_JOB_READ],
    "DELETE /api/v1/jobs/{job_id}/": [E(401, 204, 404, 404, 204),
                                      E(401, 204, 404, 403, 204, params=shared)],
    "GET /api/v1/jobs/{job_id}/video": [PRIVATE_JOB_READ, SHARED_JOB_READ],
    "GET /api/v1/jobs/{job_id}/landmarks.{fmt}": [PRIVATE_JOB_READ, SHARED_JOB_READ],
    "GET /api/v1/jobs/{job_id}/overlay.json": [PRIVATE_JOB_READ, SHARED_JOB_READ],
    "GET /api/v1/jobs/{job_id}/result.json": [PRIVATE_JOB_READ, SHARED_JOB_READ],
    "GET /api/v1/jobs/{job_id}/subtitles.vtt": [PRIVATE_JOB_READ, SHARED_JOB_READ],
    "GET /api/v1/jobs/{job_id}/thumbnail.jpg": [PRIVATE_JOB_READ, SHARED_JOB_READ],
    "GET /api/v1/annotation/queue/": E(401, 200, 200, 200, 200),
    "POST /api/v1/annotation/shares/": E(401, 201, 404, 404, 403, json=True,
                                         body=lambda w: {"job": str(w.job.id)}),
    # Only the owner shares or withdraws; those who may see the job learn nothing new: 403.
    "DELETE /api/v1/annotation/shares/{job_id}/": E(401, 204, 404, 403, 403, params=shared),
    "GET /api/v1/annotation/jobs/{job_id}/": [E(401, 404, 404, 404, 200),
                                              E(401, 404, 404, 200, 200, params=shared)],
    "PUT /api/v1/annotation/jobs/{job_id}/": E(
        401, 404, 404, 404, 200, json=True,
        body=lambda w: {"segments": [], "translation": "", "flags": [], "revision": 0}),
    "POST /api/v1/annotation/jobs/{job_id}/submit": E(
        401, 404, 404, 404, 200, json=True, body=lambda w: {"revision": 0}),
    "POST /api/v1/annotation/jobs/{job_id}/review": E(
        401, 404, 404, 200, 200, params=shared, json=True,
        body=lambda w: {"decision": "accept", "comment": "", "revision": 0}),
    "POST /api/v1/annotation/jobs/{job_id}/import-eaf": E(401, 404, 404, 404, 400, body=eaf),
    "GET /api/v1/annotation/jobs/{job_id}/corrections": E(401, 404, 404, 200, 200,
                                                          params=shared),
    "GET /api/v1/annotation/jobs/{job_id}/export.eaf": E(401, 404, 404, 200, 200,
                                                         params=shared),
    "GET /api/v1/annotation/jobs/{job_id}/export.vtt": E(401, 404, 404, 200, 200,
                                                         params=shared),
    "GET /api/v1/annotation/glosses/": E(401, 200, 200, 200, 200,
                                         path=lambda w: "/api/v1/annotation/glosses/?language=ase"),
}

WEBHOOKS: dict[str, Rule | list[Rule]] = {
    # Everyone logged in manages their own webhooks; another's (admins' too) is a 404.
    "POST /api/v1/webhooks/": E(401, 201, 201, 201, 201, json=True, body=lambda w: {
        "url": "https://93.184.216.34/hook", "events": ["job.succeeded"]}),
    "GET /api/v1/webhooks/": E(401, 200, 200, 200, 200),
    "DELETE /api/v1/webhooks/{webhook_id}/": E(401, 204, 404, 404, 404, params=lambda w: {
        "webhook_id": w.objects["webhooks.webhook"].pk}),
}

def _version(world: World) -> dict[str, Any]:
    return {"version_id": world.model_version.pk, "code": "ase"}


def _bundle(world: World) -> dict[str, Any]:
    return {"language": "ase", "bundle": SimpleUploadedFile("b.zip", b"PK\x05\x06" + bytes(18),
                                                            "application/zip")}


def _task(world: World) -> dict[str, Any]:
    from tests.security.admin_rules import registry_task

    return registry_task(world)


ADMIN_API = E(401, 403, 403, 403, 200, params=_version)
# The registry over the API: admins only (401 without credentials, 403 for any other user).
REGISTRY: dict[str, Rule | list[Rule]] = {
    "GET /api/v1/registry/languages/": ADMIN_API,
    "GET /api/v1/registry/languages/{code}/glosses/": ADMIN_API,
    "GET /api/v1/registry/versions/": ADMIN_API,
    "GET /api/v1/registry/versions/{version_id}/": ADMIN_API,
    # Answers at once: the registration task is queued (202).
    "POST /api/v1/registry/versions/": E(401, 403, 403, 403, 202, body=_bundle),
    "GET /api/v1/registry/tasks/{task_id}/": E(401, 403, 403, 403, 200, params=_task),
    "POST /api/v1/registry/versions/{version_id}/shadow": E(
        401, 403, 403, 403, 202, params=_version, json=True, body=lambda w: {"jobs": 5}),
    "GET /api/v1/registry/versions/{version_id}/shadow": E(401, 403, 403, 403, 200,
                                                           params=_task),
    # The world's version is active already, and has no earlier one: refused with 409.
    "POST /api/v1/registry/versions/{version_id}/activate": E(401, 403, 403, 403, 409,
                                                              params=_version),
    "POST /api/v1/registry/rollback": E(401, 403, 403, 403, 409, json=True, body=lambda w: {
        "language": "ase", "task": "isolated"}),
}

WEBSOCKETS: dict[str, Rule | list[Rule]] = {
    "WS /ws/jobs/<uuid:job_id>/": [E(4403, ACCEPT, 4403, 4403, ACCEPT),
                                   E(4403, ACCEPT, 4403, ACCEPT, ACCEPT, params=shared)],
    # Live mode: whoever may create a job (no job of anyone's is read); a language without an
    # active sign model gets 4404.
    "WS /ws/live/<str:language>/": [E(4403, ACCEPT, ACCEPT, ACCEPT, ACCEPT, params=live),
                                    E(4403, 4404, 4404, 4404, 4404, params=live_unserved)],
}


def all_rules() -> dict[str, Rule | list[Rule]]:
    from tests.security.admin_rules import admin_rules

    return {**PAGES, **API, **WEBHOOKS, **REGISTRY, **WEBSOCKETS, **admin_rules()}
