"""Fingerspelling read by spotting letters (translation.ml.letterspeller): the pause rule, the
bundle that `slrweb speller-bundle` writes, the registry's fingerspelling predictor choosing the
kind a bundle holds, and a real clip read with a word space where the signer paused."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from landmarks.sequence import LandmarkSequence
from mlcore.bundle import BundleError, read_bundle
from recognition.ml.data import load_runs
from recognition.ml.infer import IsolatedPredictor
from registry.runtime import predictor_class
from slrweb.cli import main
from tests.support.spelling import hands_out_of_view, held_out_letters
from translation.ml.infer import TranslationPredictor
from translation.ml.letterspeller import (
    LetterSpeller,
    LetterSpellerConfig,
    SpellerConfig,
    spelled,
)
from translation.ml.windows import WORD_GAP

REPO = Path(__file__).resolve().parents[3]
LETTERS = REPO / "models" / "silfa-letters"


def seg(gloss: str, start: float, end: float, prob: float = 0.9) -> dict:
    return {"start": start, "end": end, "topk": [{"gloss": gloss, "prob": prob}]}


def test_a_gap_of_at_least_the_pause_is_a_word_space() -> None:
    found = [seg("C", 1.0, 1.2), seg("A", 0.0, 0.2), seg("B", 0.25, 0.6)]  # out of order
    labels = [e["label"] for e in spelled(found, pause_seconds=0.4)]
    assert labels == ["A", "B", WORD_GAP, "C"]  # 0.6 -> 1.0 is a pause; 0.2 -> 0.25 is not
    assert [e["label"] for e in spelled(found, pause_seconds=0.41)] == ["A", "B", "C"]
    gap = spelled(found, 0.4)[2]
    assert (gap["start"], gap["end"]) == (0.6, 1.0)
    assert spelled([], 0.4) == []


@pytest.fixture(scope="module")
def speller_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("speller") / "fs-letters"
    assert main(["speller-bundle", "--letters", str(LETTERS), "--out", str(out),
                 "--name", "fs-letters", "--pause-seconds", "0.5", "--fps", "30"]) == 0
    return out


def test_the_bundle_is_the_letters_model_under_the_fingerspelling_task(
        speller_bundle: Path) -> None:
    bundle, source = read_bundle(speller_bundle), read_bundle(LETTERS)
    assert (bundle.task, bundle.name, bundle.language) == ("fingerspelling", "fs-letters", "ase")
    assert bundle.vocabulary == source.vocabulary
    config = LetterSpellerConfig.from_dict(bundle.config)  # strict: unknown keys refused
    assert config.speller == SpellerConfig(pause_seconds=0.5, source="silfa-letters")
    source_spotting = LetterSpellerConfig.from_dict(source.config).spotting
    assert config.spotting == dataclasses.replace(source_spotting, fps=30.0)  # --fps
    assert "upsampled" in bundle.card
    assert "fs-letters" in bundle.card and "silfa-letters" in bundle.card
    assert "slrweb speller-bundle" in bundle.card
    assert not (speller_bundle / "spm.model").exists()  # it writes no pieces


def test_only_a_letters_speller_may_go_without_a_tokenizer(speller_bundle: Path,
                                                           tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(speller_bundle, plain)
    config = json.loads((plain / "config.json").read_text())
    del config["speller"]
    (plain / "config.json").write_text(json.dumps(config))
    with pytest.raises(BundleError, match="needs spm.model"):
        read_bundle(plain)


def test_the_fingerspelling_predictor_is_the_kind_the_bundle_holds(speller_bundle: Path) -> None:
    serving = predictor_class("fingerspelling")
    assert isinstance(serving.from_bundle(speller_bundle), LetterSpeller)
    transformer = serving.from_bundle(REPO / "models" / "fingerspelling-ase-transformer")
    assert isinstance(transformer, TranslationPredictor)
    shipped = serving.from_bundle(REPO / "models" / "fingerspelling-ase-text")
    assert isinstance(shipped, LetterSpeller) and shipped.hand_recovery


def test_a_speller_whose_vocabulary_does_not_fit_its_model_is_refused(
        speller_bundle: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(speller_bundle, broken)
    glosses = broken / "glosses.txt"
    glosses.write_text("\n".join(glosses.read_text().split()[:-1]) + "\n")
    with pytest.raises(ValueError, match="number of classes"):
        LetterSpeller.from_bundle(broken)
    assert main(["speller-bundle", "--letters", str(REPO / "models" / "phoenix-gloss2text"),
                 "--out", str(tmp_path / "x"), "--name", "x"]) == 2


def test_a_real_clip_reads_as_the_letters_spotted_with_a_space_at_the_pause(
        speller_bundle: Path, shared_data: Path) -> None:
    letters = IsolatedPredictor.from_bundle(LETTERS)
    runs = load_runs("gislr", shared_data / "isolated" / "silfa_fingerspelling")
    held = held_out_letters(runs, letters.config.train)
    rest = hands_out_of_view(held["B"][0], frames=15)  # 1 s at 15 fps: a pause

    def word(w: str) -> list[np.ndarray]:  # letters back to back, each held
        return [np.repeat(held[c], 2, axis=0) for c in w]

    first = word("CAB")
    seq = LandmarkSequence.from_points(
        np.concatenate([rest, *first, rest, *word("LOW"), rest]), fps=15.0)
    pause_from = (len(rest) + sum(len(f) for f in first)) / 15.0  # the middle rest, seconds
    pause_to = pause_from + len(rest) / 15.0
    speller = LetterSpeller.from_bundle(speller_bundle)
    streamed: list[str] = []
    out = speller.translate(seq, on_token=lambda piece, _lp: streamed.append(piece))
    spotted = letters.recognize(seq.upsampled(2), top_k=1)["segments"]  # read at 30 fps
    assert out["text"].replace(" ", "") == "".join(s["topk"][0]["gloss"] for s in spotted).lower()
    words = out["text"].split(" ")
    assert len(words) == 2 and words[0] == "cab"  # (held-out frames: LOW may lose a letter)
    assert "".join(streamed) == out["text"]
    assert [t["piece"] for t in out["tokens"]] == streamed
    pause = out["tokens"][len(words[0])]
    assert pause["piece"] == " " and pause["end"] - pause["start"] >= 0.5
    # The space spans the signer's rest, from the last letter before it to the next one read.
    assert pause_from - 0.3 <= pause["start"] <= pause_from + 0.3 and pause["end"] >= pause_to
    assert pause["end"] == out["tokens"][len(words[0]) + 1]["start"]
    json.dumps(out, allow_nan=False)  # what a job stores


def test_a_clip_read_below_the_training_rate_is_upsampled_first(speller_bundle: Path,
                                                                 shared_data: Path) -> None:
    """A job reads 15 fps; the letters' windows count frames of the 30 fps letter videos."""
    letters = IsolatedPredictor.from_bundle(LETTERS)
    runs = load_runs("gislr", shared_data / "isolated" / "silfa_fingerspelling")
    held = held_out_letters(runs, letters.config.train)
    rest = hands_out_of_view(held["B"][0], frames=8)
    seq = LandmarkSequence.from_points(
        np.concatenate([rest, *(held[c] for c in "CAB"), rest]), fps=15.0)
    speller = LetterSpeller.from_bundle(speller_bundle)
    assert speller.letters.config.spotting.fps == 30.0
    read = speller.translate(seq)["text"]
    at_30 = letters.recognize(seq.upsampled(2), top_k=1)["segments"]
    assert read == "".join(s["topk"][0]["gloss"] for s in at_30).lower() and read
    at_30_clip = speller.translate(seq.upsampled(2))  # a 30 fps clip is read as it comes
    assert at_30_clip["text"] == read
