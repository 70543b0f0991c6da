"""Registry operations that run in a Celery worker, with progress the admin and the API poll.

`start` records a RegistryTask and queues it after the transaction commits; the worker runs
`execute`, which reports stages and percentages into the row. Three kinds:

    register  validate an uploaded .zip (smoke forward pass included), store it, evaluate it
    shadow    run a candidate beside the active version on recent jobs and held-out corrections
    retrain   train a candidate from base data plus accepted corrections

Shadow evaluation and retraining need the jobs and the corrections, which live above the
registry (corpus); corpus.apps installs them with `set_runner`, as it installs the evaluator.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import IO, Any

from django.db import transaction

from registry import bundle_store
from registry.bundle_store import UPLOAD_STORE
from registry.errors import RegistryError
from registry.models import ModelVersion, RegistryTask, SignLanguage

log = logging.getLogger(__name__)
QUEUE = "inference"  # loads models and runs them: the queue of the GPU worker when there is one

Progress = Callable[[str, int], None]
# kind -> function(task row, progress) -> result dict (may set task.version before returning)
Runner = Callable[[RegistryTask, Progress], dict[str, Any]]
_runners: dict[str, Runner] = {}


def set_runner(kind: str, runner: Runner | None) -> None:
    """Install the function that runs tasks of `kind` (corpus.apps: shadow, retrain)."""
    if runner is None:
        _runners.pop(kind, None)
    else:
        _runners[kind] = runner


def has_runner(kind: str) -> bool:
    return kind == RegistryTask.Kind.REGISTER or kind in _runners


def start(kind: str, *, user: Any = None, language: SignLanguage | None = None,
          task: str = "", version: ModelVersion | None = None,
          params: dict[str, Any] | None = None) -> RegistryTask:
    """Record a task and queue it once the current transaction commits; returns at once."""
    if not has_runner(kind):
        raise RegistryError(f"{kind} tasks are not available (the corpus app is not installed)")
    row = RegistryTask.objects.create(
        id=uuid.uuid4(), kind=kind, language=language, task=task, version=version,
        params=params or {}, user=user if getattr(user, "is_authenticated", False) else None,
        stage="queued",
    )
    from registry.tasks import run_registry_task

    transaction.on_commit(lambda: run_registry_task.apply_async((str(row.pk),), queue=QUEUE))
    return row


def start_registration(upload: IO[bytes], language: SignLanguage, user: Any = None,
                       activate: bool = False) -> RegistryTask:
    """Keep an uploaded .zip in the storage, where any worker can read it, and queue its
    registration; the upload is deleted once registered (or refused)."""
    relative = bundle_store.save_upload(upload, f"{UPLOAD_STORE}/{uuid.uuid4()}.zip")
    return start(RegistryTask.Kind.REGISTER, user=user, language=language,
                 params={"upload": relative, "activate": bool(activate)})


def reporter(row: RegistryTask) -> Progress:
    """A progress callback writing (stage, percent) into the row; percent never goes back."""
    def report(stage: str, percent: int) -> None:
        row.stage = stage[:200]
        row.percent = max(row.percent, min(100, int(percent)))
        RegistryTask.objects.filter(pk=row.pk).update(stage=row.stage, percent=row.percent)
    return report


def execute(task_id: str) -> RegistryTask:
    """Run one queued task to its end (in the worker); failures are stored, not raised."""
    row = RegistryTask.objects.select_related("language", "version", "user").get(pk=task_id)
    if row.finished:
        return row  # delivered twice: done already
    row.status = RegistryTask.Status.RUNNING
    row.save(update_fields=["status", "updated"])
    report = reporter(row)
    try:
        runner = _register if row.kind == RegistryTask.Kind.REGISTER else _runners[row.kind]
        row.result = runner(row, report)
        row.status, row.stage, row.percent = RegistryTask.Status.SUCCEEDED, "done", 100
    except RegistryError as exc:
        row.status, row.error = RegistryTask.Status.FAILED, "\n".join(exc.problems)
        row.result = {"problems": exc.problems}
    except Exception as exc:  # noqa: BLE001 - stored for the admin; the worker goes on
        log.exception("registry task %s (%s) failed", row.pk, row.kind)
        row.status, row.error = RegistryTask.Status.FAILED, f"{type(exc).__name__}: {exc}"
    row.save()
    return row


def _register(row: RegistryTask, report: Progress) -> dict[str, Any]:
    from registry.services import register_bundle

    upload = row.params["upload"]
    assert row.language is not None
    try:
        with bundle_store.open_upload(upload) as handle:
            version = register_bundle(handle, row.language, row.user, progress=report)
    finally:
        bundle_store.delete_upload(upload)
    row.version = version
    return {"version": version.pk, "label": version.label, "evaluation": version.evaluation}


def latest_shadow(version: ModelVersion) -> RegistryTask | None:
    """The version's most recent successful shadow evaluation, or None."""
    return (RegistryTask.objects.filter(version=version, kind=RegistryTask.Kind.SHADOW,
                                        status=RegistryTask.Status.SUCCEEDED)
            .order_by("-created").first())


def task_to_dict(row: RegistryTask) -> dict[str, Any]:
    """What the progress page and the API show of a task."""
    return {
        "id": str(row.pk), "kind": row.kind, "status": row.status, "stage": row.stage,
        "percent": row.percent, "error": row.error or None, "result": row.result,
        "language": row.language.code if row.language else None, "task": row.task or None,
        "version": row.version_id, "created": row.created.isoformat(),
        "updated": row.updated.isoformat(),
    }
