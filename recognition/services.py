"""The recognition stage of a job: the active isolated-sign model over the job's landmarks."""

from __future__ import annotations

from typing import Any

from jobs.models import Job
from jobs.stages import ChunkCallback, Report, active_predictor, load_job_landmarks

TOP_K = 5


def serves_language(language: str) -> bool:
    """Whether jobs of this language get a recognition stage (an isolated model is active)."""
    from registry.selectors import active_model

    return active_model(language, "isolated") is not None


def recognize_job(job: Job, report: Report) -> None:
    """Spot signs in the job's landmarks and store result.recognition with model provenance."""
    version, predictor = active_predictor(job, "isolated")
    sequence = load_job_landmarks(job)
    result = predictor.recognize(sequence, top_k=TOP_K, on_progress=lambda p: report(min(99, p)))
    result["model"] = version.label
    job.result["recognition"] = result
    report(100, recognition=result)


def streaming_listener(job: Job, report: Report) -> ChunkCallback | None:
    """While the job's video is read, publish each sign as soon as it is settled:
    {"type": "segment", "start", "end", "topk", "model"} (the recognition stage still gives the
    final result, from the whole clip)."""
    from recognition.ml.streaming import StreamingSpotter

    if "recognition" not in [s["name"] for s in job.stages]:
        return None
    version, predictor = active_predictor(job, "isolated")
    spotter = StreamingSpotter(predictor, top_k=TOP_K)

    def on_chunk(prefix: Any) -> None:
        for segment in spotter.feed(prefix):
            report.event({"type": "segment", **segment, "model": version.label})

    return on_chunk
