"""Scores of a model version on the language's held-out corrections.

Held-out means: accepted annotations whose clip corpus.split puts in the held-out split. A clip
is held out forever, and every export and retrain leaves it out (corpus.dataset), so the scores
stay honest. Segments are cut with corpus.segments.cut_segment, as the exports cut them.
Registered in registry.services at start-up (corpus.apps), so the registry needs no import of
the annotation data.
"""

from __future__ import annotations

import logging
from typing import Any

from corpus.segments import cut_segment
from corpus.split import is_held_out, split_key

log = logging.getLogger(__name__)
MAX_EXAMPLES = 500  # bounds the time of a registration or shadow evaluation (a worker task)


def held_out_annotations(language_code: str) -> list[Any]:
    """Accepted annotations of the language in the held-out split (empty if none yet)."""
    from annotation.selectors import accepted_annotations

    picked = []
    for annotation in accepted_annotations(language_code).iterator():
        if is_held_out(split_key(annotation.job)) and annotation.job.landmarks_file:
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
        if version.task == "continuous":
            return evaluate_continuous(predictor, annotations)
        return evaluate_translation(predictor, annotations)
    finally:
        release_predictor(predictor)


def _landmarks(annotation: Any) -> Any | None:
    from jobs.files import read_landmarks

    try:
        return read_landmarks(annotation.job.landmarks_file)
    except (OSError, ValueError):
        log.warning("landmarks of job %s are gone; left out of evaluation", annotation.job_id)
        return None


def evaluate_isolated(predictor: Any, annotations: list[Any]) -> dict[str, Any]:
    """Top-1/top-5 accuracy of classifying each corrected segment (its frames only)."""
    hits1 = hits5 = total = 0
    for annotation in annotations:
        sequence = _landmarks(annotation)
        if sequence is None:
            continue
        for segment in annotation.segments:
            clip = cut_segment(sequence, float(segment["start"]), float(segment["end"]))
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


def _reference_glosses(annotation: Any) -> list[str]:
    return [str(s["gloss"]) for s in annotation.segments if s.get("gloss")]


def _translate(predictor: Any, annotation: Any) -> dict[str, Any] | None:
    """The predictor's output for one corrected clip: a gloss-input translator reads the
    corrected glosses (what it is scored on is the translation step alone), a landmarks one
    the clip's cached landmarks. None when the clip gives it no input."""
    if getattr(predictor, "input_kind", "landmarks") == "gloss":
        glosses = _reference_glosses(annotation)
        return predictor.translate_glosses(glosses) if glosses else None
    sequence = _landmarks(annotation)
    return None if sequence is None else predictor.translate(sequence)


def evaluate_continuous(predictor: Any, annotations: list[Any]) -> dict[str, Any]:
    """Gloss WER of continuous recognition against the corrected gloss sequences."""
    import jiwer

    hyps, refs = [], []
    for annotation in annotations:
        reference = _reference_glosses(annotation)
        sequence = _landmarks(annotation)
        if sequence is None or not reference:
            continue
        output = predictor.recognize_glosses(sequence)
        hyps.append(" ".join(str(s["gloss"]) for s in output["segments"]))
        refs.append(" ".join(reference))
    if not refs:
        return {}
    return {"gloss_wer": round(float(jiwer.wer(refs, hyps)), 4), "clips": len(refs)}


def evaluate_translation(predictor: Any, annotations: list[Any]) -> dict[str, Any]:
    """BLEU-4 and chrF of the text (sacreBLEU, with signature), its WER and CER, and the WER of
    the CTC glosses if any; named as translation.ml.evaluate names them, so they line up with
    the bundle's metrics."""
    import jiwer
    import sacrebleu

    hyps, refs, gloss_hyps, gloss_refs = [], [], [], []
    for annotation in annotations:
        if not annotation.translation.strip():
            continue
        output = _translate(predictor, annotation)
        if output is None:
            continue
        hyps.append(output.get("text", ""))
        refs.append(annotation.translation.strip())
        reference_glosses = " ".join(_reference_glosses(annotation))
        if getattr(predictor, "input_kind", "landmarks") == "landmarks" and \
                output.get("glosses") is not None and reference_glosses:
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
        # jiwer refuses empty references; a corrected text is never empty (filtered above).
        "wer": round(float(jiwer.wer(refs, hyps)), 4),
        "cer": round(float(jiwer.cer(refs, hyps)), 4),  # type: ignore[arg-type]
        "clips": len(refs),
    }
    if gloss_refs:
        metrics["ctc_gloss_wer"] = round(float(jiwer.wer(gloss_refs, gloss_hyps)), 4)
    return metrics
