"""The recognition stage of a job: the active isolated-sign model over the job's landmarks,
extended by the signs an admin enrolled from reference clips (recognition.enrollment)."""

from __future__ import annotations

from typing import Any

from jobs.models import Job
from jobs.stages import ChunkCallback, Report, active_predictor, load_job_landmarks

TOP_K = 5


def serves_language(language: str) -> bool:
    """Whether jobs of this language get a recognition stage: an isolated model is active, or
    the active sign embedding has enrolled signs."""
    from recognition.enrollment import enrolled_signs
    from registry.selectors import active_model

    return active_model(language, "isolated") is not None or bool(enrolled_signs(language))


def recognize_job(job: Job, report: Report) -> None:
    """Spot signs in the job's landmarks and store result.recognition with model provenance.

    With enrolled signs, their segments replace the classifier's where they overlap
    (recognition.ml.enroll.extend_with_enrolled says why)."""
    from recognition.ml.enroll import extend_with_enrolled
    from recognition.enrollment import enrolled_predictor
    from registry.runtime import get_predictor
    from registry.selectors import active_model

    sequence = load_job_landmarks(job)
    enrolled = enrolled_predictor(job.language)
    result: dict[str, Any] | None = None
    if enrolled is None:  # the classifier alone: active_predictor fails the job without one
        version, predictor = active_predictor(job, "isolated")
    else:  # the classifier where one is active, the enrolled signs in any case
        version = active_model(job.language, "isolated")
        predictor = None if version is None else get_predictor(version)
    if predictor is not None:
        share = 99 if enrolled is None else 80
        result = predictor.recognize(sequence, top_k=TOP_K,
                                     on_progress=lambda p: report(min(share, p * share // 100)))
        result["model"] = version.label
    if enrolled is not None:
        embedding, spotter = enrolled
        found = {**spotter.recognize(sequence, top_k=TOP_K), "signs": spotter.vocabulary}
        result = extend_with_enrolled(result, found, embedding.label)
    assert result is not None
    job.result["recognition"] = result
    report(100, recognition=result)


def streaming_listener(job: Job, report: Report) -> ChunkCallback | None:
    """While the job's video is read, publish each sign as soon as it is settled:
    {"type": "segment", "start", "end", "topk", "model"} (the recognition stage still gives the
    final result, from the whole clip). The classifier's signs only: enrolled signs appear in
    the final result."""
    from recognition.ml.streaming import StreamingSpotter
    from registry.runtime import get_predictor
    from registry.selectors import active_model

    if "recognition" not in [s["name"] for s in job.stages]:
        return None
    version = active_model(job.language, "isolated")
    if version is None:
        return None
    spotter = StreamingSpotter(get_predictor(version), top_k=TOP_K)

    def on_chunk(prefix: Any) -> None:
        for segment in spotter.feed(prefix):
            report.event({"type": "segment", **segment, "model": version.label})

    return on_chunk
