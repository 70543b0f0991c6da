"""Scores of a model version on the language's held-out corrections.

Held-out means: accepted annotations whose job falls in a fixed one-in-five hash bucket
(`is_held_out`). The bucket depends on the job id only, so a job is held out forever; retraining
(registry.cli) leaves these jobs out of its training data, so the scores stay honest.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

log = logging.getLogger(__name__)
HELD_OUT_EVERY = 5
MAX_EXAMPLES = 500  # keeps an evaluation inside an admin request


def is_held_out(job_id: Any) -> bool:
    """Whether corrections of this job are kept for evaluation and out of training."""
    digest = hashlib.sha256(str(job_id).encode()).digest()
    return int.from_bytes(digest[:8], "big") % HELD_OUT_EVERY == 0


def held_out_annotations(language_code: str) -> list[Any]:
    """Accepted annotations of the language in the held-out bucket (empty if none yet)."""
    from annotation.selectors import accepted_annotations

    picked = []
    for annotation in accepted_annotations(language_code).iterator():
        if is_held_out(annotation.job_id) and annotation.job.landmarks_file:
            picked.append(annotation)
            if len(picked) >= MAX_EXAMPLES:
                break
    return picked


def evaluate_on_corrections(version: Any) -> dict[str, Any]:
    """Metrics of `version` on the held-out corrections of its language ({} when none)."""
    annotations = held_out_annotations(version.language.code)
    if not annotations:
        return {}
    from registry.runtime import load_predictor, release_predictor

    # Not get_predictor: this runs in the web process, which should not keep models in memory.
    predictor = load_predictor(version.bundle_dir, version.task)
    try:
        if version.task == "isolated":
            return evaluate_isolated(predictor, annotations)
        return evaluate_translation(predictor, annotations)
    finally:
        release_predictor(predictor)


def _landmarks(annotation: Any) -> Any | None:
    from landmarks.formats.npz import load_npz

    try:
        return load_npz(annotation.job.landmarks_file)
    except (OSError, ValueError):
        log.warning("landmarks of job %s are gone; left out of evaluation", annotation.job_id)
        return None


def clip_segment(sequence: Any, start: float, end: float) -> Any:
    """The frames of a LandmarkSequence whose timestamps fall in [start, end)."""
    from landmarks.sequence import LandmarkSequence

    keep = (sequence.timestamps >= start) & (sequence.timestamps < end)
    return LandmarkSequence(points=sequence.points[keep], presence=sequence.presence[keep],
                            timestamps=sequence.timestamps[keep] - start, fps=sequence.fps)


def evaluate_isolated(predictor: Any, annotations: list[Any]) -> dict[str, Any]:
    """Top-1/top-5 accuracy of classifying each corrected segment (its frames only)."""
    hits1 = hits5 = total = 0
    for annotation in annotations:
        sequence = _landmarks(annotation)
        if sequence is None:
            continue
        for segment in annotation.segments:
            clip = clip_segment(sequence, float(segment["start"]), float(segment["end"]))
            if not segment.get("gloss") or len(clip) == 0:
                continue
            ranked = [entry["gloss"] for entry in predictor.predict_clip(clip, top_k=5)]
            total += 1
            hits1 += ranked[:1] == [segment["gloss"]]
            hits5 += segment["gloss"] in ranked[:5]
    if not total:
        return {}
    return {"top1": round(hits1 / total, 4), "top5": round(hits5 / total, 4),
            "segments": total, "clips": len(annotations)}


def evaluate_translation(predictor: Any, annotations: list[Any]) -> dict[str, Any]:
    """BLEU-4 and chrF of the text (sacreBLEU, with signature), WER of the CTC glosses if any;
    named as translation.ml.evaluate names them, so they line up with the bundle's metrics."""
    import sacrebleu

    hyps, refs, gloss_hyps, gloss_refs = [], [], [], []
    for annotation in annotations:
        sequence = _landmarks(annotation)
        if sequence is None or not annotation.translation.strip():
            continue
        output = predictor.translate(sequence)
        hyps.append(output.get("text", ""))
        refs.append(annotation.translation.strip())
        reference_glosses = " ".join(s["gloss"] for s in annotation.segments if s.get("gloss"))
        if output.get("glosses") is not None and reference_glosses:
            gloss_hyps.append(" ".join(output["glosses"]))
            gloss_refs.append(reference_glosses)
    if not refs:
        return {}
    bleu = sacrebleu.metrics.BLEU()
    chrf = sacrebleu.metrics.CHRF()
    metrics: dict[str, Any] = {
        "bleu4": round(bleu.corpus_score(hyps, [refs]).score, 2),
        "chrf": round(chrf.corpus_score(hyps, [refs]).score, 2),
        "bleu_signature": str(bleu.get_signature()),
        "clips": len(refs),
    }
    if gloss_refs:
        import jiwer

        metrics["ctc_gloss_wer"] = round(float(jiwer.wer(gloss_refs, gloss_hyps)), 4)
    return metrics
