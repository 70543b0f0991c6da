"""The editable state of an annotation: the model's proposal, validation, field-level diffs.

A state is `{"segments": [...], "translation": str, "flags": [str]}`; a segment is
`{"id": str, "start": s, "end": s, "gloss": str, "origin": int | None}` where `origin` is the index
of the model segment it came from (its top-k is shown beside it). Pure functions: no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotation.errors import InvalidAnnotation
from annotation.models import FLAGS

MIN_SEGMENT_SECONDS = 0.02
END_TOLERANCE_SECONDS = 0.05  # rounding of the last frame's end
MAX_GLOSS_LENGTH = 100
MAX_TRANSLATION_LENGTH = 5000
MAX_SEGMENTS = 2000
__all__ = ["FieldChange", "InvalidAnnotation", "clean_segments", "diff_states",
           "proposal_from_result"]
SEGMENT_KEYS = ("start", "end", "gloss")
# Which model's output a flag says is wrong (its version is recorded with the correction).
FLAG_TASKS = {"bad_extraction": "landmarks", "no_signing": "recognition", "wrong_language": ""}


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any
    task: str  # whose output this field corrects: landmarks, recognition, translation or ""


def model_segments(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The recognition segments of a job result (empty when recognition did not run)."""
    return list(((result or {}).get("recognition") or {}).get("segments") or [])


def model_labels(result: dict[str, Any], extractor: str = "") -> dict[str, str]:
    """The model version labels a result names, per task ({"recognition": "x@3", ...}).

    The landmark extractor's version comes from the result when it records one, else `extractor`.
    """
    labels = {}
    for task in ("recognition", "translation"):
        label = ((result or {}).get(task) or {}).get("model")
        if label:
            labels[task] = str(label)
    landmarks = (result or {}).get("landmarks") or {}
    if landmarks:
        labels["landmarks"] = str(landmarks.get("extractor_version") or extractor)
    return labels


def proposal_from_result(result: dict[str, Any]) -> dict[str, Any]:
    """The state an annotation starts from: the models' own output, top-1 gloss per segment."""
    segments = []
    for index, seg in enumerate(model_segments(result)):
        topk = seg.get("topk") or []
        segments.append({
            "id": f"m{index}",
            "start": round(float(seg["start"]), 3),
            "end": round(float(seg["end"]), 3),
            "gloss": str(topk[0]["gloss"]) if topk else "",
            "origin": index,
        })
    text = ((result or {}).get("translation") or {}).get("text") or ""
    return {"segments": segments, "translation": str(text), "flags": []}


def best_origin(start: float, end: float, segments: list[dict[str, Any]]) -> int | None:
    """Index of the model segment overlapping [start, end) the most, or None."""
    best, best_overlap = None, 0.0
    for index, seg in enumerate(segments):
        overlap = min(end, float(seg["end"])) - max(start, float(seg["start"]))
        if overlap > best_overlap:
            best, best_overlap = index, overlap
    return best


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidAnnotation(f"{what} must be a number of seconds.")
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidAnnotation(f"{what} must be a finite number.")
    return round(float(value), 3)


def _clean_segment(raw: Any, position: int, n_model: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidAnnotation(f"Segment {position + 1} must be an object.")
    seg_id = raw.get("id")
    if not isinstance(seg_id, str) or not seg_id.strip() or len(seg_id) > 40:
        raise InvalidAnnotation(f"Segment {position + 1} needs an id (up to 40 characters).")
    start = _number(raw.get("start"), f"Segment {position + 1} start")
    end = _number(raw.get("end"), f"Segment {position + 1} end")
    gloss = raw.get("gloss") or ""
    if not isinstance(gloss, str) or len(gloss.strip()) > MAX_GLOSS_LENGTH:
        raise InvalidAnnotation(f"Segment {position + 1}: the gloss must be a short text.")
    origin = raw.get("origin")
    if origin is not None and (not isinstance(origin, int) or not 0 <= origin < max(n_model, 1)):
        origin = None  # a stale reference to a model segment is dropped, not an error
    return {"id": seg_id.strip(), "start": start, "end": end, "gloss": gloss.strip(),
            "origin": origin}


def clean_segments(raw: Any, duration: float | None, n_model: int = 0) -> list[dict[str, Any]]:
    """Validate segments: ordered, non-overlapping, inside the clip, unique ids."""
    if not isinstance(raw, list):
        raise InvalidAnnotation("Segments must be a list.")
    if len(raw) > MAX_SEGMENTS:
        raise InvalidAnnotation(f"At most {MAX_SEGMENTS} segments.")
    segments = [_clean_segment(item, i, n_model) for i, item in enumerate(raw)]
    segments.sort(key=lambda s: (s["start"], s["end"]))
    seen: set[str] = set()
    for i, seg in enumerate(segments):
        label = f"Segment {i + 1} ({seg['start']:.2f}-{seg['end']:.2f} s)"
        if seg["id"] in seen:
            raise InvalidAnnotation(f"{label}: its id {seg['id']!r} is used twice.")
        seen.add(seg["id"])
        if seg["start"] < 0 or seg["end"] - seg["start"] < MIN_SEGMENT_SECONDS:
            raise InvalidAnnotation(f"{label} must start at 0 or later and end after it starts.")
        if duration is not None and seg["end"] > duration + END_TOLERANCE_SECONDS:
            raise InvalidAnnotation(f"{label} ends after the clip ({duration:.2f} s).")
        if i and seg["start"] < segments[i - 1]["end"] - 1e-6:
            raise InvalidAnnotation(f"{label} overlaps the segment before it.")
    return segments


def clean_translation(raw: Any) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > MAX_TRANSLATION_LENGTH:
        raise InvalidAnnotation(f"The translation must be a text of at most "
                                f"{MAX_TRANSLATION_LENGTH} characters.")
    return " ".join(raw.split())


def clean_flags(raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or any(flag not in FLAGS for flag in raw):
        raise InvalidAnnotation(f"Flags must be a list of: {', '.join(FLAGS)}.")
    return sorted(set(raw))


def diff_states(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """Field-level changes between two states; segments are matched by their id."""
    changes: list[FieldChange] = []
    old = {s["id"]: s for s in before.get("segments", [])}
    new = {s["id"]: s for s in after.get("segments", [])}
    for seg_id, seg in old.items():
        if seg_id not in new:
            changes.append(FieldChange(f"segment:{seg_id}", _public(seg), None, "recognition"))
    for seg_id, seg in new.items():
        if seg_id not in old:
            changes.append(FieldChange(f"segment:{seg_id}", None, _public(seg), "recognition"))
            continue
        for key in SEGMENT_KEYS:
            if old[seg_id][key] != seg[key]:
                changes.append(FieldChange(
                    f"segment:{seg_id}.{key}", old[seg_id][key], seg[key], "recognition"))
    if before.get("translation", "") != after.get("translation", ""):
        changes.append(FieldChange(
            "translation", before.get("translation", ""), after.get("translation", ""),
            "translation"))
    old_flags, new_flags = set(before.get("flags", [])), set(after.get("flags", []))
    for flag in sorted(old_flags ^ new_flags):
        changes.append(FieldChange(
            f"flag:{flag}", flag in old_flags, flag in new_flags, FLAG_TASKS.get(flag, "")))
    return changes


def _public(segment: dict[str, Any]) -> dict[str, Any]:
    return {key: segment[key] for key in SEGMENT_KEYS}
