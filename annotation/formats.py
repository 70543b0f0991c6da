"""An annotation as ELAN (.eaf, via pympi-ling) and WebVTT (via webvtt-py), and back from .eaf.

ELAN tiers: GLOSS (the annotated segments), TOPK (the model's segments, each with its top-k as
"GLOSS 0.81 | OTHER 0.12"), TRANSLATION (the text, one annotation over the signed span).
Times are whole milliseconds in ELAN; our states keep seconds rounded to milliseconds, so a round
trip is exact.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotation.errors import InvalidAnnotation

GLOSS_TIER = "GLOSS"
TOPK_TIER = "TOPK"
TRANSLATION_TIER = "TRANSLATION"


@dataclass
class EafContent:
    """What an .eaf file contributes to an annotation: segments (seconds) and text."""

    segments: list[dict[str, Any]] = field(default_factory=list)  # {"start", "end", "gloss"}
    translation: str = ""


def _ms(seconds: float) -> int:
    return int(round(float(seconds) * 1000))


def format_topk(topk: list[dict[str, Any]]) -> str:
    """Top-k entries as one line: "HELLO 0.81 | HOUSE 0.12"."""
    return " | ".join(f"{entry['gloss']} {float(entry['prob']):.2f}" for entry in topk)


def build_eaf(
    segments: list[dict[str, Any]],
    model_segments: list[dict[str, Any]],
    translation: str,
    duration: float | None = None,
    media_url: str = "",
) -> Any:
    """A pympi Eaf object with the GLOSS, TOPK and TRANSLATION tiers."""
    from pympi.Elan import Eaf

    eaf = Eaf(author="slrweb")
    eaf.remove_tier("default")
    if media_url:
        eaf.add_linked_file(media_url, mimetype="video/mp4")
    for tier in (GLOSS_TIER, TOPK_TIER, TRANSLATION_TIER):
        eaf.add_tier(tier)
    for seg in segments:
        eaf.add_annotation(GLOSS_TIER, _ms(seg["start"]), _ms(seg["end"]), seg["gloss"])
    for seg in model_segments:
        eaf.add_annotation(TOPK_TIER, _ms(seg["start"]), _ms(seg["end"]),
                           format_topk(seg.get("topk") or []))
    if translation:
        spans = [(s["start"], s["end"]) for s in segments or model_segments]
        start = min((a for a, _ in spans), default=0.0)
        end = max((b for _, b in spans), default=duration or 0.0)
        if end > start:
            eaf.add_annotation(TRANSLATION_TIER, _ms(start), _ms(end), translation)
    return eaf


def eaf_bytes(eaf: Any) -> bytes:
    """Serialise an Eaf object (pympi writes only to paths)."""
    from pympi.Elan import to_eaf

    fd, name = tempfile.mkstemp(suffix=".eaf")
    os.close(fd)
    try:
        to_eaf(name, eaf, pretty=True)
        return Path(name).read_bytes()
    finally:
        Path(name).unlink(missing_ok=True)


def read_eaf(source: bytes | str | os.PathLike[str]) -> EafContent:
    """Segments of the GLOSS tier and the TRANSLATION tier's text from an .eaf file or bytes."""
    from pympi.Elan import Eaf

    if isinstance(source, bytes):
        fd, name = tempfile.mkstemp(suffix=".eaf")
        with os.fdopen(fd, "wb") as out:
            out.write(source)
        try:
            return read_eaf(name)
        finally:
            Path(name).unlink(missing_ok=True)
    try:
        eaf = Eaf(str(source), suppress_version_warning=True)
    except Exception as exc:  # pympi raises bare XML/parse errors of several kinds
        raise InvalidAnnotation(f"Not a readable ELAN .eaf file: {exc}") from exc
    tiers = list(eaf.get_tier_names())
    if GLOSS_TIER not in tiers:
        raise InvalidAnnotation(
            f"The .eaf file has no {GLOSS_TIER} tier (its tiers: {', '.join(tiers) or 'none'})."
        )
    segments = [
        {"start": start / 1000.0, "end": end / 1000.0, "gloss": (value or "").strip()}
        for start, end, value in sorted(eaf.get_annotation_data_for_tier(GLOSS_TIER))
    ]
    translation = ""
    if TRANSLATION_TIER in tiers:
        parts = sorted(eaf.get_annotation_data_for_tier(TRANSLATION_TIER))
        translation = " ".join(value.strip() for _s, _e, value in parts if value and value.strip())
    return EafContent(segments=segments, translation=translation)


def _timestamp(seconds: float) -> str:
    ms = _ms(seconds)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def annotation_webvtt(segments: list[dict[str, Any]], translation: str) -> str:
    """WebVTT subtitles: one cue per gloss segment, then the translation over the signed span."""
    from webvtt import Caption, WebVTT

    vtt = WebVTT()
    for seg in segments:
        caption = Caption(_timestamp(seg["start"]), _timestamp(seg["end"]), seg["gloss"] or "?")
        caption.identifier = seg["id"]
        vtt.captions.append(caption)
    if translation and segments:
        caption = Caption(_timestamp(segments[0]["start"]), _timestamp(segments[-1]["end"]),
                          translation)
        caption.identifier = "translation"
        vtt.captions.append(caption)
    return vtt.content
