"""Read-only queries other apps call (the job pipeline, the language picker, the admin)."""

from __future__ import annotations

from django.db.models import QuerySet

from registry.models import TASK_CHOICES, Gloss, ModelVersion, SignLanguage

TASKS = tuple(code for code, _ in TASK_CHOICES)  # the model field's choices, in their order


def active_model(language_code: str, task: str) -> ModelVersion | None:
    """The version serving `task` for the language with this ISO 639-3 code, or None.

    Read fresh from the database on every call: this is how a worker notices an activation.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    return (
        ModelVersion.objects.select_related("language")
        .filter(language__code=language_code, task=task, status=ModelVersion.Status.ACTIVE)
        .first()
    )


def wants_hand_recovery(language_code: str) -> bool:
    """Whether an active model of the language was trained on landmarks with the hands Holistic
    lost recovered (its config's features.hand_recovery; landmarks.hands): a job of the language
    then extracts them, and the language's other models read the clip without them. Read from
    the stored configs (no model is loaded); an unreadable config asks for nothing."""
    active = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE)
    return any(map(_trained_on_recovered_hands, active.filter(language__code=language_code)))


def any_wants_hand_recovery() -> bool:
    """Whether the jobs of some language extract recovered hands (wants_hand_recovery), so a
    worker loads MediaPipe Hands before its first job."""
    active = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE)
    return any(map(_trained_on_recovered_hands, active))


def hand_recovery_languages() -> list[str]:
    """The codes of the languages whose jobs extract recovered hands (wants_hand_recovery), for
    the page's privacy mode, which then recovers them in the browser too."""
    active = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).select_related(
        "language")
    return sorted({v.language.code for v in active if _trained_on_recovered_hands(v)})


def _trained_on_recovered_hands(version: ModelVersion) -> bool:
    from registry.compat import stored_config

    try:
        features = stored_config(version).get("features")
    except (OSError, ValueError):
        return False
    return isinstance(features, dict) and features.get("hand_recovery") is True


def active_languages() -> list[SignLanguage]:
    """Languages with at least one active model, for the language picker (ordered by name)."""
    return list(
        SignLanguage.objects.filter(model_versions__status=ModelVersion.Status.ACTIVE)
        .distinct()
        .order_by("name")
    )


def vocabulary(language: SignLanguage) -> list[str]:
    """The language's glosses, sorted."""
    return list(Gloss.objects.filter(language=language).order_by("gloss").values_list("gloss", flat=True))


def versions_of(language: SignLanguage, task: str) -> QuerySet[ModelVersion]:
    """Every registered version for (language, task), newest first."""
    return ModelVersion.objects.filter(language=language, task=task).order_by("-created", "-id")
