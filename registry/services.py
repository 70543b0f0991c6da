"""Registry operations: register bundles, switch the live version, keep vocabularies.

These functions own every write of the registry. They do not check permissions: the admin,
the commands and the CLI that call them decide who may.
"""

from __future__ import annotations

import logging
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from mlcore.bundle import Bundle, BundleError, unpack_bundle_zip
from registry import bundle_store, selectors
from registry.bundle_store import BUNDLE_STORE
from registry.compat import version_serving_problem
from registry.errors import BundleRejected, RegistryError
from registry.languages import language_name, normalise_code
from registry.models import ActivationEvent, Gloss, ModelVersion, SignLanguage
from registry.validation import bundle_checksum, validate_bundle
from registry.vocabulary_csv import export_vocabulary_csv, import_vocabulary_csv

__all__ = [
    "BundleRejected", "RegistryError", "activate_version", "add_glosses", "ensure_language",
    "delete_version", "evaluate_version", "export_vocabulary_csv", "import_vocabulary_csv", "register_bundle",
    "roll_back", "rollback_target", "set_evaluator",
]
log = logging.getLogger(__name__)
Evaluator = Callable[[ModelVersion], dict[str, Any]]
_evaluator: Evaluator | None = None


def set_evaluator(evaluator: Evaluator | None) -> None:
    """Install the function that scores a version on held-out corrections.

    corpus.apps installs corpus.evaluation.evaluate_on_corrections at start-up: the corrections
    live above the registry (they need jobs and annotations), so the registry cannot import them.
    """
    global _evaluator
    _evaluator = evaluator


def ensure_language(code: str, name: str = "") -> SignLanguage:
    """Get or create a language by ISO 639-3 code (abbreviations like "ASL" are accepted)."""
    code = normalise_code(code)
    language, _ = SignLanguage.objects.get_or_create(
        code=code, defaults={"name": name or language_name(code)}
    )
    return language


def add_glosses(language: SignLanguage, glosses: Iterable[str]) -> int:
    """Add the glosses the language lacks; return how many were created."""
    known = set(selectors.vocabulary(language))
    new = sorted({g.strip() for g in glosses if g.strip()} - known)
    Gloss.objects.bulk_create([Gloss(language=language, gloss=g) for g in new])
    return len(new)


def register_bundle(
    path_or_zip: str | Path | IO[bytes], language: SignLanguage, user: Any = None,
    progress: Callable[[str, int], None] | None = None,
) -> ModelVersion:
    """Validate a bundle (folder or .zip) and store it as a new candidate version.

    Raises BundleRejected listing every problem: missing or unreadable files, a config the
    predictor cannot build, glosses outside the language's vocabulary, a failing forward pass,
    or the same bundle already registered. `progress(stage, percent)` hears each step (the
    admin runs this in a worker: registry.background).
    """
    report = progress or (lambda stage, percent: None)
    with tempfile.TemporaryDirectory(prefix="slrweb-bundle-") as tmp:
        report("unpacking", 5)
        root = _unpacked(path_or_zip, Path(tmp))
        report("validating (files, vocabulary, smoke forward pass)", 15)
        bundle = validate_bundle(
            root, language.code, str(language), selectors.vocabulary(language)
        )
        report("storing", 50)
        checksum = bundle_checksum(root)
        existing = ModelVersion.objects.filter(
            language=language, task=bundle.task, checksum=checksum
        ).first()
        if existing is not None:
            raise BundleRejected([f"this bundle is already registered as {existing.label}"])
        version = _store(bundle, root, language, checksum, user)
        bundle_store.cache_local_copy(root, checksum)  # this process loads it next: evaluation
    log.info("registered %s for %s/%s", version.label, language.code, version.task)
    report("evaluating on held-out corrections", 60)
    _evaluate(version)
    report("registered", 100)
    return version


def _unpacked(source: str | Path | IO[bytes], tmp: Path) -> Path:
    if isinstance(source, str | Path) and Path(source).is_dir():
        return Path(source)
    try:
        return unpack_bundle_zip(source, tmp / "bundle")  # type: ignore[arg-type]
    except zipfile.BadZipFile as exc:
        raise BundleRejected(["the upload is not a .zip archive of a bundle folder"]) from exc
    except BundleError as exc:
        raise BundleRejected([str(exc)]) from exc
    except FileNotFoundError as exc:
        raise BundleRejected([f"no bundle at {source}"]) from exc


def _store(
    bundle: Bundle, root: Path, language: SignLanguage, checksum: str, user: Any
) -> ModelVersion:
    """Copy the bundle into the storage and create its row; versions count up per name."""
    with transaction.atomic():
        # Serialises registrations (and activations) per language, so numbers never collide.
        SignLanguage.objects.select_for_update().get(pk=language.pk)
        same_name = ModelVersion.objects.filter(language=language, task=bundle.task,
                                                name=bundle.name[:100])
        number = (same_name.aggregate(n=Max("version"))["n"] or 0) + 1
        relative = (f"{BUNDLE_STORE}/{language.code}/{bundle.task}/"
                    f"{slugify(bundle.name) or 'model'}-{number}-{checksum[:8]}")
        bundle_store.store_bundle(root, relative)
        try:
            return ModelVersion.objects.create(
                language=language, task=bundle.task, name=bundle.name[:100], version=number,
                bundle_path=relative, checksum=checksum, metrics=bundle.metrics,
                card=bundle.card, uploaded_by=user if _is_user(user) else None,
            )
        except Exception:
            bundle_store.delete_bundle(relative)
            raise


def _is_user(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def evaluate_version(version: ModelVersion) -> dict[str, Any]:
    """Score a version on its language's held-out corrections and store the result.

    A failure is stored as {"error": ...} rather than raised: it must not lose an upload.
    Without an evaluator (the corpus app not installed) the evaluation stays empty.
    """
    try:
        version.evaluation = _evaluator(version) if _evaluator is not None else {}
    except Exception as exc:  # noqa: BLE001 - reported in the admin beside the metrics
        log.exception("evaluation of %s failed", version.label)
        version.evaluation = {"error": f"{type(exc).__name__}: {exc}"}
    version.save(update_fields=["evaluation"])
    return version.evaluation


def _evaluate(version: ModelVersion) -> None:
    """Score a new version and, on the same corrections, the active one (comparable numbers)."""
    evaluate_version(version)
    active = selectors.active_model(version.language.code, version.task)
    if version.evaluation and active is not None and active.pk != version.pk:
        evaluate_version(active)


def activate_version(version: ModelVersion, user: Any = None) -> ActivationEvent:
    """Make `version` the one active version of its (language, task), atomically.

    The previously active version becomes retired in the same transaction. Workers notice on
    their next job (registry.selectors.active_model is read per job).
    """
    def choose(rows: dict[int, ModelVersion], current: ModelVersion | None) -> ModelVersion:
        target = rows.get(version.pk)
        if target is None:
            raise RegistryError(f"{version.label} no longer exists")
        if current is not None and current.pk == target.pk:
            raise RegistryError(f"{target.label} is already the active version")
        return target

    event = _switch(version.language_id, version.task, user, ActivationEvent.Action.ACTIVATE,
                    choose, figures=_shadow_figures(version))
    version.refresh_from_db()
    return event


def roll_back(language: SignLanguage, task: str, user: Any = None) -> ActivationEvent:
    """Re-activate the version that was live before the current one (undo, repeatable)."""
    def choose(rows: dict[int, ModelVersion], current: ModelVersion | None) -> ModelVersion:
        target_id = _rollback_target_id(language.pk, task, current, set(rows))
        if target_id is None:
            raise RegistryError(
                f"there is no earlier {task} version of {language} to roll back to"
            )
        return rows[target_id]

    return _switch(language.pk, task, user, ActivationEvent.Action.ROLLBACK, choose)


def rollback_target(language: SignLanguage, task: str) -> ModelVersion | None:
    """The version `roll_back` would activate now, or None (for confirmation pages)."""
    rows = {v.pk: v for v in selectors.versions_of(language, task)}
    current = next((v for v in rows.values() if v.is_active), None)
    target_id = _rollback_target_id(language.pk, task, current, set(rows))
    return rows.get(target_id) if target_id is not None else None


def _rollback_target_id(language_id: int, task: str, current: ModelVersion | None,
                        existing: set[int]) -> int | None:
    if current is None:
        return None
    history = _live_history(language_id, task)
    earlier = [vid for vid in reversed(history[:-1]) if vid != current.pk and vid in existing]
    return earlier[0] if earlier else None


Chooser = Callable[[dict[int, ModelVersion], ModelVersion | None], ModelVersion]


def _shadow_figures(version: ModelVersion) -> dict[str, Any]:
    """The figures of the version's latest shadow evaluation, for the audit log ({} if none)."""
    from registry.background import latest_shadow

    shadow = latest_shadow(version)
    if shadow is None:
        return {}
    return {"task": str(shadow.pk), "evaluated": shadow.updated.isoformat(),
            **{k: v for k, v in shadow.result.items() if k != "disagreements"}}


def _switch(language_id: int, task: str, user: Any, action: str,
            choose: Chooser, figures: dict[str, Any] | None = None) -> ActivationEvent:
    with transaction.atomic():
        language = SignLanguage.objects.select_for_update().get(pk=language_id)
        rows = {v.pk: v for v in ModelVersion.objects.select_for_update()
                .filter(language_id=language_id, task=task)}
        current = next((v for v in rows.values() if v.is_active), None)
        target = choose(rows, current)
        if not bundle_store.is_stored(target.bundle_path):
            raise RegistryError(f"the stored bundle of {target.label} is missing "
                                f"({target.bundle_path})")
        problem = version_serving_problem(target)
        if problem:  # activated, it would fail every job of its language
            raise RegistryError(problem)
        if current is not None:
            # Retire first: the unique constraint allows only one active row at any moment.
            current.status = ModelVersion.Status.RETIRED
            current.save(update_fields=["status"])
        target.status = ModelVersion.Status.ACTIVE
        target.activated = timezone.now()
        target.save(update_fields=["status", "activated"])
        event = ActivationEvent.objects.create(
            language=language, task=task, action=action, from_version=current,
            to_version=target, user=user if _is_user(user) else None,
            username=getattr(user, "get_username", lambda: "")() if _is_user(user) else "",
            figures=figures or {},
        )
    log.info("%s %s/%s: %s -> %s by %s", action, language.code, task,
             current.label if current else None, target.label, event.username or "system")
    return event


def _live_history(language_id: int, task: str) -> list[int]:
    """Version ids that were live, oldest first; the last is the current one.

    Activations push, roll-backs pop: rolling back twice goes two steps back, not in a circle.
    """
    stack: list[int] = []
    events = ActivationEvent.objects.filter(language_id=language_id, task=task).order_by(
        "created", "id"
    )
    for action, to_id in events.values_list("action", "to_version_id"):
        if action == ActivationEvent.Action.ROLLBACK and stack:
            stack.pop()
        if not stack or stack[-1] != to_id:
            stack.append(to_id)
    return stack


def delete_version(version: ModelVersion) -> None:
    """Delete a version that was never live, with its stored bundle files (and this machine's
    cached copy; other machines' copies are unreachable without the row)."""
    if version.is_active or version.activation_events.exists():
        raise RegistryError(f"{version.label} was live once; the activation log keeps it")
    name, checksum = version.bundle_path, version.checksum
    version.delete()
    bundle_store.delete_bundle(name)  # a name outside the bundle store is left alone
    if not ModelVersion.objects.filter(checksum=checksum).exists():
        bundle_store.forget_local_copy(checksum)
