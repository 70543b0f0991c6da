"""Fingerspelling read by spotting letters: a letter classifier's segments joined into text.

    speller = Fingerspeller.from_bundle("models/fingerspelling-ase-text")
    speller.translate(seq)   # {"model", "text": "cab dog", "tokens": [{"piece", "logprob",
                             #   "start", "end"}], "glosses": ["C", "A", "B", "_", ...], ...}

A fingerspelling bundle is one of two kinds, told apart by its config:
- a landmarks->text translator (translation.ml.infer.TranslationPredictor: an encoder-decoder
  with a CTC head, read in overlapping windows), or
- a letters speller (this module): an isolated letters classifier (recognition.ml, trained on
  real letter videos with a trained no-sign class) whose sign spotting gives letters with
  times, as `slrweb recognize` does; a gap of at least `speller.pause_seconds` between two
  letters is a word space. Its config.json is the classifier's with a "speller" section.

On the same real clips of held-out frames the speller reads about twice as well as the
translator (bench/bench_speller_readers.py, bench/RESULTS.md). Both serve the registry's
"fingerspelling" task and the ase chain's spelled spans (translation.ml.chain) alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from landmarks.sequence import LandmarkSequence
from mlcore.bundle import Bundle, BundleError, read_bundle, write_bundle
from mlcore.card import ModelCard, table
from mlcore.config import Config
from mlcore.predictors import PREDICTORS
from recognition.ml.config import IsolatedConfig
from recognition.ml.infer import IsolatedPredictor
from translation.ml.infer import OnToken, TranslationPredictor
from translation.ml.windows import WORD_GAP, labels_text

TASK = "fingerspelling"


@dataclass(frozen=True)
class SpellerConfig(Config):
    # A gap between two spotted letters at least this long is a pause between words. Letters
    # of one word follow each other within ~0.1-0.3 s at conversational spelling rates; the
    # fingerspeller's training phrases pause 0.2-0.9 s between words.
    pause_seconds: float = 0.4
    source: str = ""  # the letters bundle this speller was made from (its name)


@dataclass(frozen=True)
class LetterSpellerConfig(IsolatedConfig):
    """config.json of a letters speller: the classifier's config plus its "speller" section."""

    speller: SpellerConfig = field(default_factory=SpellerConfig)


def is_letter_speller(config: dict[str, Any]) -> bool:
    """Whether a fingerspelling bundle's config.json is a letters speller's."""
    return "speller" in config


def spelled(segments: list[dict[str, Any]], pause_seconds: float) -> list[dict[str, Any]]:
    """Spotted segments ({"start", "end", "topk"}) -> letters in time order, with a WORD_GAP
    entry wherever the next letter starts at least `pause_seconds` after the last one ended."""
    out: list[dict[str, Any]] = []
    for seg in sorted(segments, key=lambda s: float(s["start"])):
        top = seg["topk"][0]
        if out and float(seg["start"]) - out[-1]["end"] >= pause_seconds:
            out.append({"label": WORD_GAP, "prob": 1.0, "start": out[-1]["end"],
                        "end": float(seg["start"])})
        out.append({"label": str(top["gloss"]), "prob": float(top["prob"]),
                    "start": float(seg["start"]), "end": float(seg["end"])})
    return out


class LetterSpeller:
    """The "fingerspelling" predictor of a letters-speller bundle (landmarks -> text)."""

    input_kind = "landmarks"

    def __init__(self, letters: IsolatedPredictor, settings: SpellerConfig, name: str) -> None:
        self.letters = letters
        self.settings = settings
        self.name = name

    @property
    def hand_recovery(self) -> bool:
        """Extract with the hands Holistic lost recovered when the classifier was so trained."""
        return bool(self.letters.config.features.hand_recovery)

    @classmethod
    def from_bundle(cls, path: str | Path, device: str = "cpu") -> LetterSpeller:
        return PREDICTORS.bundle(path, device, TASK, cls._build)

    @classmethod
    def _build(cls, bundle: Bundle, device: str) -> LetterSpeller:
        if not is_letter_speller(bundle.config):
            raise BundleError(f"{bundle.path} is a {TASK} bundle without a speller section: "
                              "not a letters speller")
        config = LetterSpellerConfig.from_dict(bundle.config)
        return cls(IsolatedPredictor.from_parts(bundle, config, device), config.speller,
                   bundle.name)

    def translate(self, seq: LandmarkSequence, on_token: OnToken | None = None,
                  beam_size: int | None = None) -> dict[str, Any]:
        """Read one clip: {"model", "text", "tokens": [{"piece", "logprob", "start", "end"}],
        "glosses" (letters and WORD_GAP), "decode"}. `on_token(piece, logprob)` is called for
        each letter and space in order once the clip is read; `beam_size` is accepted for the
        translator's interface and unused (spotting has no beam)."""
        del beam_size
        found = self.letters.recognize(seq, top_k=1)["segments"]  # (spotting.fps: upsampled)
        letters = spelled(found, self.settings.pause_seconds)
        tokens = [{"piece": labels_text([e["label"]]) or " ",
                   "logprob": round(math.log(max(e["prob"], 1e-12)), 4),
                   "start": round(e["start"], 3), "end": round(e["end"], 3)} for e in letters]
        if on_token is not None:
            for token in tokens:
                on_token(token["piece"], token["logprob"])
        labels = [e["label"] for e in letters]
        return {"model": self.name, "text": labels_text(labels), "tokens": tokens,
                "glosses": labels, "decode": {"speller": self.settings.to_dict(),
                                              "spotting": self.letters.config.spotting.to_dict()}}


class Fingerspeller:
    """The registry's "fingerspelling" predictor: whichever kind the bundle holds."""

    @staticmethod
    def from_bundle(path: str | Path, device: str = "cpu") -> LetterSpeller | TranslationPredictor:
        if is_letter_speller(read_bundle(path).config):
            return LetterSpeller.from_bundle(path, device)
        return TranslationPredictor.from_bundle(path, device)


def speller_config(source: Bundle, settings: SpellerConfig, name: str,
                   spotting_fps: float | None = None) -> LetterSpellerConfig:
    """The config.json of a speller made from the isolated letters bundle `source`: its config
    under `name`, plus the speller section (`spotting_fps` replaces its spotting.fps)."""
    if source.task != "isolated":
        raise BundleError(f"{source.path} is a {source.task} bundle, not an isolated letters one")
    spotting = dict(source.config.get("spotting", {}))
    if spotting_fps is not None:
        spotting["fps"] = spotting_fps
    return LetterSpellerConfig.from_dict({**source.config, "name": name, "spotting": spotting,
                                          "speller": settings.to_dict()})


def write_speller_bundle(source: Bundle, out: str | Path, *, config: LetterSpellerConfig,
                         card: ModelCard, metrics: dict[str, Any]) -> Path:
    """A letters-speller bundle: the letters bundle's weights and vocabulary with `config`
    (speller_config), under the fingerspelling task."""
    return write_bundle(out, task=TASK, language=source.language, name=config.name,
                        config=config.to_dict(), state_dict=source.load_state_dict(),
                        metrics=metrics, card=card.render(), vocabulary=source.vocabulary)


def speller_card(source: Bundle, config: LetterSpellerConfig, measured: list[dict[str, Any]],
                 command: str, note: str = "") -> ModelCard:
    """The card of a letters speller: what it is, the readings measured against the translator
    (bench/bench_speller_readers.py reports, if given) and the letters bundle's own card."""
    fps = config.spotting.fps
    card = ModelCard(
        title=f"{config.name} (fingerspelling: letters spotted by {source.name})",
        summary=(f"Reads fingerspelling as text: the isolated letters classifier {source.name} "
                 "spots letters with their times (as `slrweb recognize` does; no-sign class, "
                 "Viterbi segmentation, double letters from a hold or a dip) and a gap of at "
                 f"least {config.speller.pause_seconds} s between two letters is a word space. "
                 + (f"A clip read below {fps:g} fps (the letter videos' rate) is "
                    "upsampled to it first (spotting.fps). " if fps else "") +
                 "Serves the fingerspelling task: `slrweb translate VIDEO --model` and the ase "
                 "chain's spelled spans."),
        commands=[command])
    for report in measured:
        pause, every = report.get("pause_frames", 0), report.get("every", 1)
        how = (f"{pause} frames of an empty picture between words (a pause), so CER counts the "
               "spaces too" if pause else "no pause between words, so letters-only CER "
               "(spaces removed) is the score")
        rate = ("every frame (30 fps)" if every == 1 else
                f"every {every}th frame ({30 / every:g} fps; a job reads 15 fps)")
        card.add(f"Results (bench/bench_speller_readers.py, {'pauses' if pause else 'no pauses'}, "
                 f"{30 / every:g} fps)",
                 f"{report['clips']} real clips of six held-out words in a row, read at {rate}; "
                 f"{how}. Each "
                 "letter's frames are cut from the SILFA letter videos where both kinds of "
                 f"reader held them out ({report['letters_held_out_by']}: the letters classifier's "
                 "configuration trained with the blocks at the end of each letter video held "
                 "out); the shipped weights trained on every frame, so their row is not held "
                 "out. J and Z are not in the letters vocabulary. References: "
                 f"{', '.join(report['references'])}.",
                 table(["reader", "letters-only CER", "CER"],
                       [[reader, r["letters_only_cer"], r.get("cer", "-")]
                        for reader, r in report["readers"].items()]))
    card.add("Notes", note,
             "Limits: one signer's letters (SILFA); J and Z (moving letters) are not read (a J "
             "or Z held long enough reads as a pause); a word space needs a visible pause "
             "between words.")
    card.add(f"The letters classifier ({source.name})",
             "Its card, as shipped with it:",
             ["    " + line if line else "" for line in source.card.splitlines()])
    return card
