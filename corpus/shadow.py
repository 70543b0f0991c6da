"""Shadow evaluation: a candidate version beside the active one, without activating it.

Two kinds of evidence, both computed in a worker (registry.background runs `run_shadow`):

  - held-out corrections: corpus.evaluation scores both versions on the same accepted,
    held-out annotations (accuracy, WER, CER, BLEU, as the task has them);
  - recent unlabelled jobs: both versions read the cached landmarks (the job's landmarks_file,
    never MediaPipe again) of the language's last N jobs that no accepted annotation labels;
    the agreement rate is the share of jobs where they give the same output, and every job where
    they differ is listed with both outputs, its video and its annotation workspace.

A candidate of a chain task (continuous, translation, fingerspelling) is read inside its
language's chain (translation.ml.chain): the active versions of the other roles, the candidate
in its own, so the output compared is what a job would show after activation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.urls import reverse

from corpus.evaluation import evaluate_on_corrections
from registry import selectors
from registry.models import ModelVersion

log = logging.getLogger(__name__)
DEFAULT_JOBS = 50
MAX_JOBS = 500
MAX_DISAGREEMENTS = 100  # listed on the page; the rate counts them all
Read = Callable[[Any], str]  # LandmarkSequence -> the output compared


def recent_unlabelled_jobs(language: str, limit: int) -> list[Any]:
    """The language's newest jobs with cached landmarks and no accepted annotation."""
    from annotation.models import Annotation
    from jobs.models import Job

    return list(Job.objects.filter(language=language).exclude(landmarks_file="")
                .exclude(annotation__status=Annotation.Status.ACCEPTED)
                .select_related("video").order_by("-created")[:limit])


def reader(version: ModelVersion, *, candidate: bool) -> Read:
    """How `version` reads a clip, as a job of its language would show it."""
    from registry.runtime import get_predictor, load_predictor

    # The candidate is not live: load it on its own, outside the workers' cache of live models.
    predictor = load_predictor(version.bundle_dir, version.task) if candidate \
        else get_predictor(version)
    if version.task == "isolated":
        def read_isolated(sequence: Any) -> str:
            segments = predictor.recognize(sequence, top_k=1)["segments"]
            return " ".join(s["topk"][0]["gloss"] for s in segments if s.get("topk"))
        read_isolated.predictor = predictor  # type: ignore[attr-defined]
        return read_isolated
    from translation.ml.chain import Chain, Step, chain_problem, run_chain
    from translation.services import CHAIN_TASKS, language_chain

    chain = language_chain(version.language.code)
    if candidate:
        role = next(r for r, t in CHAIN_TASKS.items() if t == version.task)
        chain = Chain(**{**{r: getattr(chain, r) for r in CHAIN_TASKS},
                         role: Step(predictor, version.label)})
    problem = chain_problem(chain)
    if problem:
        raise ValueError(f"the chain with {version.label} cannot read a video: {problem}")

    def read_chain(sequence: Any) -> str:
        result = run_chain(sequence, chain)
        return str(result["text"]) if chain.text is not None else " ".join(result["glosses"])
    read_chain.predictor = predictor  # type: ignore[attr-defined]
    return read_chain


def compare_on_jobs(candidate: ModelVersion, active: ModelVersion, jobs: list[Any],
                    progress: Callable[[int], None]) -> dict[str, Any]:
    """Agreement of the two versions on the jobs, and the jobs where they differ."""
    from registry.runtime import release_predictor

    read_candidate, read_active = reader(candidate, candidate=True), reader(active,
                                                                            candidate=False)
    try:
        return _compare(read_candidate, read_active, jobs, progress)
    finally:
        # The candidate was loaded for this evaluation only (the active one stays cached).
        release_predictor(getattr(read_candidate, "predictor", None))


def _compare(read_candidate: Read, read_active: Read, jobs: list[Any],
             progress: Callable[[int], None]) -> dict[str, Any]:
    from jobs.files import read_landmarks

    compared = agree = 0
    unreadable: list[str] = []
    disagreements: list[dict[str, Any]] = []
    for index, job in enumerate(jobs):
        progress(index)
        try:
            sequence = read_landmarks(job.landmarks_file)
        except (OSError, ValueError):
            unreadable.append(str(job.pk))
            continue
        ours, theirs = read_candidate(sequence), read_active(sequence)
        compared += 1
        if ours == theirs:
            agree += 1
        elif len(disagreements) < MAX_DISAGREEMENTS:
            disagreements.append({
                "job": str(job.pk), "created": job.created.isoformat(),
                "candidate": ours, "active": theirs,
                # None: a landmarks-only job has no video to link.
                "video_url": f"/api/v1/jobs/{job.pk}/video" if job.video_id else None,
                "workspace_url": reverse("annotation:workspace", args=[job.pk]),
            })
    return {"compared": compared, "agree": agree,
            "agreement": round(agree / compared, 4) if compared else None,
            "unreadable": unreadable, "disagreements": disagreements}


def shadow_figures(candidate: ModelVersion, jobs: int = DEFAULT_JOBS,
                   report: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    """Candidate vs active on held-out corrections and on the last `jobs` unlabelled jobs."""
    report = report or (lambda stage, percent: None)
    active = selectors.active_model(candidate.language.code, candidate.task)
    if active is not None and active.pk == candidate.pk:
        active = None  # the active version has nothing to be compared with but itself
    report("held-out corrections: candidate", 5)
    figures: dict[str, Any] = {
        "candidate": candidate.label, "active": active.label if active else None,
        "language": candidate.language.code, "task": candidate.task,
        "corrections": {"candidate": evaluate_on_corrections(candidate), "active": {}},
    }
    if active is not None:
        report("held-out corrections: active", 25)
        figures["corrections"]["active"] = evaluate_on_corrections(active)
    picked = recent_unlabelled_jobs(candidate.language.code, max(0, min(jobs, MAX_JOBS)))
    figures["jobs"] = {"requested": jobs, "compared": 0, "agree": 0, "agreement": None,
                       "unreadable": []}
    figures["disagreements"] = []
    if active is None or not picked:
        return figures
    report(f"recent jobs: 0 of {len(picked)}", 45)
    result = compare_on_jobs(candidate, active, picked, lambda i: report(
        f"recent jobs: {i} of {len(picked)}", 45 + 50 * i // len(picked)))
    figures["disagreements"] = result.pop("disagreements")
    figures["jobs"].update(result)
    return figures


def run_shadow(row: Any, report: Callable[[str, int], None]) -> dict[str, Any]:
    """registry.background runner of "shadow" tasks (installed by corpus.apps)."""
    if row.version is None:
        raise ValueError("a shadow evaluation needs a candidate version")
    return shadow_figures(row.version, int(row.params.get("jobs", DEFAULT_JOBS)), report)
