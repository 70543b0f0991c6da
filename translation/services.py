"""The translation stage of a job: the active landmarks->text model, streaming its tokens."""

from __future__ import annotations

from jobs.models import Job
from jobs.stages import Report, active_predictor, load_job_landmarks


def translate_job(job: Job, report: Report) -> None:
    """Translate the job's landmarks; every decoded token is pushed to the page as it comes."""
    version, predictor = active_predictor(job, "translation")
    sequence = load_job_landmarks(job)
    count = 0

    def on_token(piece: str, logprob: float) -> None:
        nonlocal count
        report.event({"type": "token", "index": count, "piece": piece, "logprob": logprob})
        count += 1

    result = predictor.translate(sequence, on_token=on_token)
    result["model"] = version.label
    job.result["translation"] = result
    report(100, translation=result)
