"""Served decoding = the bundle's decoding: a job, translate-text and evaluate-translation
decode the same input with the same beam, length penalty and output cap (issue 13 item 5)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

from landmarks.layout import NUM_POINTS, RIGHT_HAND
from landmarks.sequence import LandmarkSequence
from translation.ml.cli import main
from translation.ml.config import DecodeConfig, tiny_model_config
from translation.ml.data import Example
from translation.ml.features import FEATURE_DIM, FEATURE_SET, sequence_features
from translation.ml.infer import TranslationPredictor
from translation.ml.model import Translator
from translation.ml.pipeline import write_translation_bundle
from translation.ml.tokenizer import GlossVocab, TextTokenizer

# Deliberately not the defaults anywhere: beam 3, a strong length penalty, a tight cap, a floor.
BUNDLE_DECODE = DecodeConfig(beam_size=3, length_penalty=2.0, max_len_a=0.25, max_len_b=3,
                             min_len_a=0.2)


def _sequences() -> list[LandmarkSequence]:
    rng = np.random.default_rng(7)
    out = []
    for frames in (9, 14, 20, 27, 33, 40):
        points = np.full((frames, NUM_POINTS, 3), np.nan, dtype=np.float32)
        points[:, RIGHT_HAND] = rng.random((frames, 21, 3))
        out.append(LandmarkSequence.from_points(points, fps=30.0))
    return out


@pytest.fixture(scope="module")
def bundle(tiny_spm: TextTokenizer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)  # a random model whose beam and greedy outputs differ here
    cfg = tiny_model_config(input_kind="landmarks", input_dim=FEATURE_DIM, velocity=True,
                            tgt_vocab_size=len(tiny_spm), max_tgt_len=12)
    return write_translation_bundle(
        tmp_path_factory.mktemp("served") / "b", model=Translator(cfg), tokenizer=tiny_spm,
        vocab=GlossVocab([]), name="served", language="ase", metrics={}, card="test",
        extra_config={"features": {"set": FEATURE_SET}, "decode": BUNDLE_DECODE.to_dict()})


def _job_texts(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run the job service's translation stage on each clip; the registry (which version is
    active, its loaded predictor) and the stored landmarks are stubbed, nothing else."""
    from registry import runtime, selectors
    from translation import services

    predictor = TranslationPredictor.from_bundle(bundle)
    version = SimpleNamespace(label="served v1", task="translation")
    monkeypatch.setattr(selectors, "active_model",
                        lambda language, task: version if task == "translation" else None)
    monkeypatch.setattr(runtime, "get_predictor", lambda v: predictor)
    texts = []
    for seq in _sequences():
        monkeypatch.setattr(services, "load_job_landmarks", lambda job, seq=seq: seq)
        job: Any = SimpleNamespace(result={}, language="ase")
        report = _Report()
        services.translate_job(job, report)
        result = job.result["translation"]
        # What the page saw streamed is what was stored.
        assert [e["piece"] for e in report.events] == [t["piece"] for t in result["tokens"]]
        texts.append(result["text"])
    return texts


class _Report:
    """The stage report of a job: progress calls ignored, streamed events kept."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, percent: int, **partial: Any) -> None:
        pass

    def event(self, event: dict[str, Any]) -> None:
        self.events.append(event)


def _evaluate_texts(bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`slrweb evaluate-translation` on the same clips, its hypotheses written to a file."""
    from translation.ml import fingerspell

    examples = [Example(src=sequence_features(seq, FEATURE_SET), tgt=[], ctc=[], text="x")
                for seq in _sequences()]
    monkeypatch.setattr(fingerspell, "heldout_examples", lambda args, tok, vocab: examples)
    hyp_file = tmp_path / "hyp.txt"
    assert main(["evaluate-translation", "--model", str(bundle), "--isolated-dir", "unused",
                 "--hyp-out", str(hyp_file), "--threads", "1"]) == 0
    return hyp_file.read_text().split("\n")[:-1]


def test_a_job_and_evaluate_translation_decode_alike(
        bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    predictor = TranslationPredictor.from_bundle(bundle)
    assert predictor.decode_settings() == BUNDLE_DECODE
    # The inputs must tell the settings apart, or the comparison below proves nothing.
    greedy = [predictor.translate(seq, beam_size=1)["text"] for seq in _sequences()]
    job = _job_texts(bundle, monkeypatch)
    assert job != greedy
    evaluated = _evaluate_texts(bundle, tmp_path, monkeypatch)
    assert job == evaluated
    metrics = json.loads(capsys.readouterr().out)
    assert (metrics["beam_size"], metrics["length_penalty"]) == (3, 2.0)
    assert metrics["max_len"] == [0.25, 3]
    assert metrics["min_len_a"] == 0.2


def test_translate_text_decodes_like_evaluate_translation(
        tiny_spm: TextTokenizer, tiny_files: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(5)
    vocab = GlossVocab.build(tiny_files["gloss"].read_text().split())
    cfg = tiny_model_config(src_vocab_size=len(vocab), tgt_vocab_size=len(tiny_spm),
                            max_tgt_len=12)
    bundle = write_translation_bundle(
        tmp_path / "g", model=Translator(cfg), tokenizer=tiny_spm, vocab=vocab, name="g",
        language="gsg", metrics={}, card="test",
        extra_config={"decode": BUNDLE_DECODE.to_dict()})
    hyp_file = tmp_path / "hyp.txt"
    assert main(["evaluate-translation", "--model", str(bundle), "--src",
                 str(tiny_files["gloss"]), "--ref", str(tiny_files["text"]), "--hyp-out",
                 str(hyp_file), "--threads", "1"]) == 0
    capsys.readouterr()
    assert main(["translate-text", "--model", str(bundle), "--input", str(tiny_files["gloss"]),
                 "--threads", "1"]) == 0
    served = capsys.readouterr().out.split("\n")[:-1]
    evaluated = [" ".join(line.split()) for line in hyp_file.read_text().split("\n")[:-1]]
    assert served == evaluated
    predictor = TranslationPredictor.from_bundle(bundle)
    lines = tiny_files["gloss"].read_text().splitlines()
    assert served != predictor.translate_text(lines, beam_size=1)
    # A job's recognised glosses (the continuous chain) decode the same way, streamed.
    streamed: list[str] = []
    one = [predictor.translate_glosses(line.split(), on_token=lambda p, lp: streamed.append(p))
           for line in lines]
    assert [" ".join(r["text"].split()) for r in one] == served
    assert streamed == [t["piece"] for r in one for t in r["tokens"]]
