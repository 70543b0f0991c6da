"""The translation stage of a job: the language's chain of active models (translation.ml.chain),
text tokens streamed to the page as they are decoded."""

from __future__ import annotations

from typing import Any

from jobs.models import Job
from jobs.stages import Report, StageError, load_job_landmarks
from translation.ml.chain import Chain, Step, chain_problem, run_chain

# chain role -> registry task
CHAIN_TASKS = {"glosser": "continuous", "text": "translation", "speller": "fingerspelling"}


def active_versions(language: str) -> dict[str, Any]:
    """The active version of each chain role for the language (roles without one left out)."""
    from registry.selectors import active_model

    found = {role: active_model(language, task) for role, task in CHAIN_TASKS.items()}
    return {role: version for role, version in found.items() if version is not None}


def language_chain(language: str) -> Chain:
    """The chain of the language's active models, each loaded once per worker process."""
    from registry.runtime import get_predictor

    steps = {role: Step(get_predictor(v), v.label) for role, v in active_versions(language).items()}
    return Chain(**steps)


def version_chain(versions: dict[str, Any]) -> Chain:
    """The chain's shape from version rows alone (ModelVersion.input_kind reads the stored
    config), so the web process plans a job without loading any model."""
    return Chain(**{role: Step(v, v.label) for role, v in versions.items()})


def serves_language(language: str) -> bool:
    """Whether jobs of this language get a translation stage: the active models make a chain
    from landmarks to glosses or text (chain_problem also says no to a speller alone)."""
    return chain_problem(version_chain(active_versions(language))) is None


def translate_job(job: Job, report: Report) -> None:
    """Translate the job's landmarks; every decoded token is pushed to the page as it comes."""
    chain = language_chain(job.language)
    problem = chain_problem(chain)
    if problem is not None:
        raise StageError(f"Videos in '{job.language}' cannot be translated: {problem}.")
    sequence = load_job_landmarks(job)
    count = 0

    def on_token(piece: str, logprob: float) -> None:
        nonlocal count
        report.event({"type": "token", "index": count, "piece": piece, "logprob": logprob})
        count += 1

    result = run_chain(sequence, chain, on_token=on_token)
    job.result["translation"] = result
    report(100, translation=result)
