"""`slrweb train-isolated` / `evaluate-isolated` on a small real subset; bundle round trip."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from mlcore.bundle import read_bundle, write_bundle
from recognition.ml.data import Run, eval_clips
from recognition.ml.infer import IsolatedPredictor
from recognition.ml.train import train_isolated
from slrweb.cli import main
from tests.ml.recognition.conftest import tiny_config

LETTERS = ("A", "B", "C")


@pytest.fixture(scope="module")
def small_gislr(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """A GISLR train.csv of three real SILFA letters (absolute parquet paths)."""
    root = shared_data / "isolated" / "silfa_fingerspelling"
    out = tmp_path_factory.mktemp("gislr")
    with open(root / "train.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["sign"] in LETTERS]
    with open(out / "train.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**r, "path": str(root / r["path"])} for r in rows)
    return out


TINY_FLAGS = ["--epochs", "2", "--steps-per-epoch", "2", "--batch-size", "8", "--d-model", "16",
              "--heads", "2", "--layers", "1", "--cross-modal-heads", "2", "--clip-max", "4"]


def test_train_resume_and_evaluate(tmp_path: Path, small_gislr: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    out, ckpt = tmp_path / "bundle", tmp_path / "ckpt"
    args = ["train-isolated", "--data-format", "gislr", "--data", str(small_gislr), "--out",
            str(out), "--language", "ase", "--checkpoint-dir", str(ckpt), *TINY_FLAGS]
    assert main(args) == 0
    bundle = read_bundle(out)
    assert bundle.task == "isolated" and bundle.vocabulary == list(LETTERS)
    assert bundle.name == "bundle" and bundle.language == "ase"
    for key in ("test", "baseline"):
        assert set(bundle.metrics[key]) >= {"clip1"}
        assert 0 <= bundle.metrics[key]["clip1"]["top1"] <= bundle.metrics[key]["clip1"]["top5"]
    assert "train-isolated --data-format gislr" in bundle.card and "baseline" in bundle.card
    assert (ckpt / "last.pt").is_file()
    capsys.readouterr()

    assert main([*args[:-len(TINY_FLAGS)], *TINY_FLAGS[:1], "3", *TINY_FLAGS[2:],
                 "--resume"]) == 0
    assert "resumed from" in capsys.readouterr().err
    assert [h["epoch"] for h in read_bundle(out).metrics["history"]] == [1, 2, 3]

    report = tmp_path / "report"
    assert main(["evaluate-isolated", "--model", str(out), "--data-format", "gislr", "--data",
                 str(small_gislr), "--out", str(report), "--clip-len", "2"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed["per_class"]) == set(LETTERS) and 0 <= printed["top1"] <= 1
    assert (report / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((report / "metrics.json").read_text())["n"] == printed["n"]


def test_ablation_and_resume_refusing_a_different_config(tmp_path: Path,
                                                         small_gislr: Path) -> None:
    base = ["train-isolated", "--data-format", "gislr", "--data", str(small_gislr),
            "--checkpoint-dir", str(tmp_path / "ckpt"), *TINY_FLAGS]
    assert main([*base, "--out", str(tmp_path / "a"), "--ablate"]) == 0
    bundle = read_bundle(tmp_path / "a")
    assert sorted(bundle.metrics["ablation"]) == [
        f"cross_modal={c},velocity={v}" for c in ("off", "on") for v in ("off", "on")]
    assert "## Ablation" in bundle.card and "--ablate" in bundle.card
    with pytest.raises(ValueError, match="different config"):
        main([*base, "--out", str(tmp_path / "a"), "--resume", "--no-velocity"])


def test_bundle_round_trip_gives_the_same_probabilities(tmp_path: Path,
                                                        silfa_runs: list[Run]) -> None:
    runs = [r for r in silfa_runs if r.label in LETTERS]
    cfg, fitted, vocab, metrics = train_isolated(tiny_config(), runs, progress=False,
                                                 log=lambda _: None)
    write_bundle(tmp_path / "b", task="isolated", language="ase", name="tiny",
                 config=cfg.to_dict(), state_dict=fitted.model.state_dict(), metrics=metrics,
                 card="# tiny", vocabulary=vocab)
    predictor = IsolatedPredictor.from_bundle(tmp_path / "b")
    assert IsolatedPredictor.from_bundle(tmp_path / "b") is predictor  # loaded once
    assert predictor.config == cfg and predictor.vocabulary == vocab
    clips = eval_clips(runs, vocab, cfg.features, 3)[:5]
    with torch.no_grad():
        from recognition.ml.evaluate import predict_clips

        expected = predict_clips(fitted.model, clips)
    np.testing.assert_allclose(predictor.probabilities([c for c, _ in clips]), expected,
                               atol=1e-5)


def test_held_out_blocks_are_chosen_on_the_command_line(tmp_path: Path) -> None:
    """--val-block/--test-block move the held-out blocks (e.g. to the end of each run, where
    the fingerspeller holds out: bench/bench_speller_readers.py); the config file is the rest."""
    import argparse

    from recognition.ml.cli import build_config, register
    from recognition.ml.data import block_split

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    config = Path("recognition/ml/configs/silfa-letters.json")
    args = parser.parse_args(["train-isolated", "--config", str(config), "--data-format",
                              "frames", "--data", "x", "--out", str(tmp_path / "b"),
                              "--val-block", "4", "--test-block", "3"])
    cfg = build_config(args)
    assert (cfg.train.val_block, cfg.train.test_block) == (4, 3)
    assert block_split(50, cfg.train) == {"train": [(0, 10), (10, 20), (20, 29)],
                                          "val": [(40, 50)], "test": [(30, 40)]}
    default = build_config(parser.parse_args(["train-isolated", "--config", str(config),
                                              "--data-format", "frames", "--data", "x",
                                              "--out", str(tmp_path / "b")]))
    assert (default.train.val_block, default.train.test_block) == (1, 3)
