"""Whether a model version can serve its language's jobs: what it expects as input against what
the job pipeline gives it.

The pipeline hands every model the clip's landmarks (recognition.services.recognize_job,
translation.services.translate_job), with one exception: a text translator that reads glosses
(gloss -> text, e.g. the PHOENIX bundle) is fed the glosses of the language's active
continuous-recognition model (the "glosser" of translation.ml.chain), when there is one.
Without a glosser such a translator cannot take what it is given: activated, it would fail
every job of its language. `activate_version` refuses that with `serving_problem`'s message.

This reads configs and the registry only (no model is loaded in the web process).
"""

from __future__ import annotations

from typing import Any

from mlcore.bundle import CONFIG

GLOSSER_TASK = "continuous"  # landmarks -> glosses with times; feeds gloss-input translators
DESCRIBED = {
    "landmarks": "the clip's landmarks (MediaPipe Holistic points per frame)",
    "gloss": "a sequence of glosses",
}


def bundle_input(task: str, config: dict[str, Any]) -> str:
    """What a bundle's model reads, from its config: translation.ml's ModelConfig.input_kind
    ("landmarks" or "gloss"); models without that field (isolated, continuous) read landmarks."""
    model = config.get("model")
    return str((model if isinstance(model, dict) else {}).get("input_kind", "landmarks"))


def glosser_active(language_code: str) -> bool:
    """Whether the language has an active continuous-recognition model to produce glosses."""
    from registry.models import ModelVersion

    return ModelVersion.objects.filter(
        language__code=language_code, task=GLOSSER_TASK, status=ModelVersion.Status.ACTIVE
    ).exists()


def pipeline_inputs(task: str, language_code: str) -> list[str]:
    """What the job pipeline can hand the model of `task` for jobs of this language."""
    if task == "translation" and glosser_active(language_code):
        return ["landmarks", "gloss"]
    return ["landmarks"]


def serving_problem(task: str, config: dict[str, Any], language_code: str,
                    label: str = "this model") -> str | None:
    """Why a model could not serve the jobs of its language (None: it can)."""
    wanted, given = bundle_input(task, config), pipeline_inputs(task, language_code)
    if wanted in given:
        return None
    offered = " or ".join(DESCRIBED.get(kind, kind) for kind in given)
    return (f"{label} cannot serve {language_code} jobs: it expects "
            f"{DESCRIBED.get(wanted, repr(wanted))} as input, but the job pipeline gives the "
            f"{task} model {offered}"
            + (f" (no {GLOSSER_TASK} recognition model is active for {language_code} to turn "
               "the landmarks into glosses)" if wanted == "gloss" else "")
            + f". Activate a {task} model that reads {given[0]} instead"
            + (f", or first a {GLOSSER_TASK} model for {language_code}" if wanted == "gloss"
               else "")
            + ".")


def stored_config(version: Any) -> dict[str, Any]:
    """The config.json of a registered version's stored bundle (OSError / ValueError if not
    readable): that one file, from the storage or this machine's cached copy, not the weights."""
    from registry.bundle_store import read_json

    return read_json(version.bundle_path, version.checksum, CONFIG)


def version_serving_problem(version: Any) -> str | None:
    """serving_problem of a registered ModelVersion, from its stored bundle's config."""
    try:
        config = stored_config(version)
    except (OSError, ValueError) as exc:
        return f"the config of {version.label} cannot be read: {exc}"
    return serving_problem(version.task, config, version.language.code, version.label)
