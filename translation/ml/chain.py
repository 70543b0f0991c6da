"""A language's translation chain over one clip: which model feeds which.

    landmarks --glosser--> glosses with times --gloss->text--> text      (e.g. ase)
    landmarks --landmarks->text translator-------------------> text      (e.g. fingerspelling)

Fingerspelled spans (glosses the glosser marks as spelled, e.g. NCSLGR's `fs-NAME`) are read
again by the speller (a landmarks->text fingerspelling model) on that span's frames, so a name
the gloss vocabulary cannot hold still reaches the text. Every step's output is kept with the
model that produced it, so a result can be traced and corrected step by step.

Pure ML (no Django): the job stage and `slrweb translate` build a `Chain` from whatever serves
the language (the registry's active versions, or one bundle) and call `run_chain`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from landmarks.sequence import LandmarkSequence

OnToken = Callable[[str, float], None]
SPELLED_PREFIXES = ("fs-", "FS-", "#")


class Glosser(Protocol):
    """Continuous sign recognition (translation.ml.continuous.infer.ContinuousPredictor):
    {"glosses": [{"gloss", "start", "end", "prob"}, ...]}."""

    def recognize(self, seq: LandmarkSequence) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Step:
    """One model of a chain and the label stored with its output (version or bundle name)."""

    model: Any
    label: str


@dataclass(frozen=True)
class Chain:
    glosser: Step | None = None  # landmarks -> glosses with times
    text: Step | None = None  # glosses -> text (input_kind "gloss") or landmarks -> text
    speller: Step | None = None  # landmarks -> text, for fingerspelled spans

    def feeds(self) -> list[str]:
        """Which step feeds which, in words (shown in the admin and in errors)."""
        out = []
        if self.glosser is not None:
            out.append(f"landmarks -> {self.glosser.label} (glosses)")
        if self.text is not None:
            source = "glosses" if input_kind(self.text.model) == "gloss" else "landmarks"
            out.append(f"{source} -> {self.text.label} (text)")
        if self.speller is not None:
            out.append(f"fingerspelled spans -> {self.speller.label} (letters)")
        return out


def input_kind(model: Any) -> str:
    """What a text model reads: "gloss" lines or "landmarks"."""
    return str(getattr(model, "input_kind", "landmarks"))


def wants_hand_recovery(chain: Chain) -> bool:
    """Whether a model of the chain was trained on landmarks with the hands Holistic lost
    recovered (landmarks.hands): the video is then extracted that way (the others drop them)."""
    steps = (chain.glosser, chain.text, chain.speller)
    return any(getattr(s.model, "hand_recovery", False) for s in steps if s is not None)


def chain_problem(chain: Chain) -> str | None:
    """Why this chain cannot translate a video, or None when it can."""
    if chain.text is None and chain.glosser is None:
        return "no continuous model is active"
    if chain.text is not None and input_kind(chain.text.model) == "gloss" and not chain.glosser:
        return (f"{chain.text.label} translates gloss sequences, but no continuous recognition "
                "model is active to turn the video's landmarks into glosses")
    return None


def run_chain(seq: LandmarkSequence, chain: Chain,
              on_token: OnToken | None = None) -> dict[str, Any]:
    """Translate one clip through the chain.

    Returns what a job stores as `result.translation`: {"model", "text", "tokens", "glosses",
    "segments": [{"gloss", "start", "end"}], "steps": [{"step", "model", ...output}]}.
    """
    problem = chain_problem(chain)
    if problem is not None:
        raise ValueError(f"cannot translate a video: {problem}")
    result: dict[str, Any] = {"model": "", "text": "", "tokens": [], "glosses": [],
                              "segments": [], "steps": []}
    if chain.glosser is not None:
        segments = glosses_with_spelling(seq, chain)
        result["segments"] = segments
        result["glosses"] = [s["gloss"] for s in segments]
        result["model"] = chain.glosser.label
        result["steps"].append({"step": "glosses", "model": chain.glosser.label,
                                "segments": segments})
    if chain.text is not None:
        if input_kind(chain.text.model) == "gloss":
            out = chain.text.model.translate_glosses(result["glosses"], on_token=on_token)
        else:
            out = chain.text.model.translate(seq, on_token=on_token)
            result["glosses"] = result["glosses"] or out.get("glosses", [])
        result.update(model=chain.text.label, text=out["text"], tokens=out["tokens"])
        result["steps"].append({"step": "text", "model": chain.text.label,
                                "text": out["text"]})
    return result


def glosses_with_spelling(seq: LandmarkSequence, chain: Chain) -> list[dict[str, Any]]:
    """The glosser's segments; spelled spans re-read by the speller when there is one."""
    assert chain.glosser is not None
    segments = [dict(s) for s in chain.glosser.model.recognize(seq)["glosses"]]
    if chain.speller is None:
        return segments
    for seg in segments:
        if not str(seg["gloss"]).startswith(SPELLED_PREFIXES):
            continue
        span = seq.slice_time(float(seg["start"]), float(seg["end"]))
        if len(span) == 0:
            continue
        letters = chain.speller.model.translate(span)["text"].replace(" ", "").upper()
        if letters:
            seg["gloss"] = f"fs-{letters}"
            seg["spelled_by"] = chain.speller.label
    return segments
