"""Bundle round trip: train a tiny recogniser, write the bundle, load the predictor, recognise."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from mlcore.bundle import read_bundle
from translation.ml.continuous.augment import NO_AUGMENT
from translation.ml.continuous.bundle import write_continuous_bundle
from translation.ml.continuous.cli import register
from translation.ml.continuous.data import Sentence
from translation.ml.continuous.evaluate import ProtocolSettings, run_ctc
from translation.ml.continuous.features import track_features
from translation.ml.continuous.infer import ContinuousPredictor
from translation.ml.continuous.model import CTCModelConfig, CTCRecognizer
from translation.ml.continuous.train import TrainSettings, frame_log_probs

from .test_features import synthetic_clip


@pytest.fixture(scope="module")
def trained(boston: list[Sentence], tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[Path, CTCRecognizer]:
    torch.manual_seed(0)
    train = [s for s in boston if s.split == "train"]
    settings = ProtocolSettings(
        model=CTCModelConfig(d_model=16, n_heads=2, n_layers=1, d_ff=32, conv_layers=1,
                             frame_stride=2),
        train=TrainSettings(epochs=2, batch_size=8, eval_every=1, augment=NO_AUGMENT),
        beam=2, run_hmm=False)
    ctc = run_ctc(train[:12], train[12:16], train[16:20], settings)
    # Force the beam decoder so that the LM file is exercised on load.
    ctc.decoder = replace(ctc.decoder, beam=2) if ctc.decoder else None
    row = {"fold": "database split", "train_sentences": 12, "dev_sentences": 4,
           "test_sentences": 4, "test_oov_rate": 0.0, **ctc.metrics}
    out = tmp_path_factory.mktemp("bundle") / "tiny-continuous"
    write_continuous_bundle(out, "tiny-continuous", "ase", ctc, settings, row, [], "pytest")
    return out, ctc.model


@pytest.fixture(scope="module")
def bundle_dir(trained: tuple[Path, CTCRecognizer]) -> Path:
    return trained[0]


def test_bundle_files_and_card(bundle_dir: Path) -> None:
    bundle = read_bundle(bundle_dir)
    assert bundle.task == "continuous" and bundle.language == "ase"
    assert bundle.vocabulary[0] == "<blank>"
    assert bundle.config["features"]["fps"] == 30.0
    assert json.loads((bundle_dir / "gloss_lm.json").read_text())  # the LM's training text
    assert "Dreuw" in bundle.card and "| database split |" in bundle.card
    assert "ctc_wer" in bundle.metrics["database_split"]


def test_predictor_matches_the_trained_model_and_is_cached(
        trained: tuple[Path, CTCRecognizer], boston: list[Sentence]) -> None:
    bundle_dir, model = trained
    predictor = ContinuousPredictor.from_bundle(bundle_dir)
    assert ContinuousPredictor.from_bundle(bundle_dir) is predictor  # loaded once per process
    feats = track_features(boston[0].tracks)
    lp = predictor.log_probs(feats)
    assert lp.shape == (-(-len(feats) // 2), len(predictor.vocab))  # frame stride 2
    np.testing.assert_allclose(lp, frame_log_probs(model, [feats])[0], atol=1e-5)


def test_recognize_a_mediapipe_sequence_gives_timed_glosses(bundle_dir: Path) -> None:
    predictor = ContinuousPredictor.from_bundle(bundle_dir)
    seq, _ = synthetic_clip(fps=25.0, seconds=3.0)
    result = predictor.recognize(seq)
    assert result["model"] == "tiny-continuous" and result["fps"] == 30.0
    for g in result["glosses"]:
        assert g["gloss"] in predictor.vocab[1:]
        assert 0.0 <= g["start"] < g["end"] <= seq.duration + 1e-6
        assert 0.0 < g["prob"] <= 1.0
    starts = [g["start"] for g in result["glosses"]]
    assert starts == sorted(starts)


def test_evaluate_cli_scores_a_bundle(bundle_dir: Path, boston_dir: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["evaluate-continuous", "--data", str(boston_dir),
                              "--model", str(bundle_dir)])
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["sentences"] == 40 and 0.0 <= out["gloss_wer"] <= 2.0
    assert "timing_hit_rate" in out
